// gzip stages, through zlib. The compressed side writes a real gzip header
// and trailer (windowBits 15 + 16) so that an artifact can be opened with
// `gzip -d` alone; level 1 because deflate is slow and a backup waits for it.

#include <zlib.h>

#include <algorithm>
#include <string>

#include "backup/compression_codecs.h"
#include "backup/stage_error.h"

namespace migrate::compression {
namespace {

constexpr int kGzipWindowBits = 15 + 16;  // 32 KiB window, gzip wrapper

// zlib counts in uInt; a larger write is fed in slices of this size.
constexpr size_t kMaxSlice = size_t{1} << 30;

class GzipSink final : public ByteSink {
 public:
  explicit GzipSink(ByteSink& next)
      : next_(next), out_(std::make_unique_for_overwrite<char[]>(kBufferSize)) {
    if (deflateInit2(&stream_, 1, Z_DEFLATED, kGzipWindowBits, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
      stage_.record(
          Error{ErrorCode::kGeneral, "cannot create a gzip compressor (out of memory)", {}});
      return;
    }
    initialised_ = true;
    reset_output();
  }
  ~GzipSink() override {
    if (initialised_) deflateEnd(&stream_);
  }
  // zlib's state points back at stream_, so the object must never move.
  GzipSink(const GzipSink&) = delete;
  GzipSink& operator=(const GzipSink&) = delete;

  Result<void> write(std::string_view bytes) override {
    if (auto usable = stage_.check_usable(); !usable) return usable;
    while (!bytes.empty()) {
      size_t slice = std::min(bytes.size(), kMaxSlice);
      stream_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
      stream_.avail_in = static_cast<uInt>(slice);
      while (stream_.avail_in > 0) {
        if (auto step = deflate_step(Z_NO_FLUSH); !step) return tl::unexpected(step.error());
      }
      bytes.remove_prefix(slice);
    }
    return {};
  }

  Result<void> finish() override {
    if (auto usable = stage_.check_usable(); !usable) return usable;
    stream_.next_in = nullptr;
    stream_.avail_in = 0;
    for (;;) {
      auto step = deflate_step(Z_FINISH);
      if (!step) return tl::unexpected(step.error());
      if (*step == Z_STREAM_END) break;
    }
    if (auto flushed = flush(); !flushed) return flushed;
    stage_.mark_finished();
    return stage_.remember(next_.finish());
  }

 private:
  void reset_output() {
    stream_.next_out = reinterpret_cast<Bytef*>(out_.get());
    stream_.avail_out = static_cast<uInt>(kBufferSize);
  }

  Result<int> deflate_step(int flush_mode) {
    int ret = deflate(&stream_, flush_mode);
    // Z_BUF_ERROR only says "no progress possible"; the loops above never
    // call without input or output space, so anything else is a bug in zlib.
    if (ret != Z_OK && ret != Z_STREAM_END && ret != Z_BUF_ERROR) {
      return stage_.record(Error{
          ErrorCode::kIo, "gzip compression failed (zlib error " + std::to_string(ret) + ")", {}});
    }
    if (stream_.avail_out == 0) {
      if (auto flushed = flush(); !flushed) return tl::unexpected(flushed.error());
    }
    return ret;
  }

  Result<void> flush() {
    size_t used = kBufferSize - stream_.avail_out;
    if (used == 0) return {};
    auto written = stage_.remember(next_.write(std::string_view(out_.get(), used)));
    reset_output();
    return written;
  }

  ByteSink& next_;
  z_stream stream_{};
  bool initialised_ = false;
  std::unique_ptr<char[]> out_;
  SinkStageError stage_{"gzip compressor"};
};

class GzipSource final : public ByteSource {
 public:
  explicit GzipSource(ByteSource& input)
      : input_(input), in_(std::make_unique_for_overwrite<char[]>(kBufferSize)) {
    if (inflateInit2(&stream_, kGzipWindowBits) != Z_OK) {
      stage_.record(
          Error{ErrorCode::kGeneral, "cannot create a gzip decompressor (out of memory)", {}});
      return;
    }
    initialised_ = true;
  }
  ~GzipSource() override {
    if (initialised_) inflateEnd(&stream_);
  }
  GzipSource(const GzipSource&) = delete;
  GzipSource& operator=(const GzipSource&) = delete;

  Result<size_t> read(char* buffer, size_t size) override {
    if (stage_.failed()) return tl::unexpected(stage_.error());
    size = std::min(size, kMaxSlice);
    stream_.next_out = reinterpret_cast<Bytef*>(buffer);
    stream_.avail_out = static_cast<uInt>(size);
    while (stream_.avail_out > 0) {
      if (stream_.avail_in == 0 && !eof_) {
        if (auto refilled = refill(); !refilled) return tl::unexpected(refilled.error());
        continue;
      }
      bool input_exhausted = stream_.avail_in == 0;
      if (input_exhausted && !member_open_) {
        if (!saw_input_) return fail_with("truncated gzip stream");
        break;
      }
      // A gzip file may hold several members back to back; `gzip -d`
      // concatenates them, and so does this.
      if (!member_open_) {
        inflateReset(&stream_);
        member_open_ = true;
      }
      uInt in_before = stream_.avail_in;
      uInt out_before = stream_.avail_out;
      int ret = inflate(&stream_, Z_NO_FLUSH);
      bool progressed = stream_.avail_in != in_before || stream_.avail_out != out_before;
      if (ret == Z_STREAM_END) {
        member_open_ = false;
      } else if (ret == Z_BUF_ERROR || (ret == Z_OK && !progressed)) {
        if (input_exhausted) return fail_with("truncated gzip stream");
        if (!progressed) return fail_with("corrupt gzip stream: the decoder made no progress");
      } else if (ret != Z_OK) {
        return fail_with(std::string("corrupt gzip stream: ") +
                         (stream_.msg ? stream_.msg : "zlib error " + std::to_string(ret)));
      }
    }
    return size - stream_.avail_out;
  }

 private:
  Result<void> refill() {
    auto got = input_.read(in_.get(), kBufferSize);
    if (!got) return stage_.record(got.error());
    stream_.next_in = reinterpret_cast<Bytef*>(in_.get());
    stream_.avail_in = static_cast<uInt>(*got);
    eof_ = *got == 0;
    saw_input_ = saw_input_ || *got > 0;
    return {};
  }

  tl::unexpected<Error> fail_with(std::string message) {
    return stage_.record(Error{ErrorCode::kIo, std::move(message), {}});
  }

  ByteSource& input_;
  z_stream stream_{};
  bool initialised_ = false;
  std::unique_ptr<char[]> in_;
  bool eof_ = false;
  bool saw_input_ = false;
  bool member_open_ = false;
  StageError stage_;
};

}  // namespace

std::unique_ptr<ByteSink> make_gzip_sink(ByteSink& next) {
  return std::make_unique<GzipSink>(next);
}

std::unique_ptr<ByteSource> make_gzip_source(ByteSource& input) {
  return std::make_unique<GzipSource>(input);
}

}  // namespace migrate::compression

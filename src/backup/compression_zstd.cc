// zstd stages. The compressor runs at level 1 with worker threads because a
// backup is on the critical path of `migrate up`: speed matters more than the
// last few percent of size. The decompressor writes straight into the
// caller's buffer, so it adds no copy of its own.

#include <zstd.h>

#include <string>

#include "backup/compression_codecs.h"
#include "backup/stage_error.h"

namespace migrate::compression {
namespace {

struct CCtxDeleter {
  void operator()(ZSTD_CCtx* cctx) const { ZSTD_freeCCtx(cctx); }
};
struct DCtxDeleter {
  void operator()(ZSTD_DCtx* dctx) const { ZSTD_freeDCtx(dctx); }
};

class ZstdSink final : public ByteSink {
 public:
  ZstdSink(ByteSink& next, int workers)
      : next_(next),
        cctx_(ZSTD_createCCtx()),
        out_(std::make_unique_for_overwrite<char[]>(kBufferSize)) {
    if (!cctx_) {
      stage_.record(
          Error{ErrorCode::kGeneral, "cannot create a zstd compressor (out of memory)", {}});
      return;
    }
    ZSTD_CCtx_setParameter(cctx_.get(), ZSTD_c_compressionLevel, 1);
    // Without the frame checksum a flipped bit in a stored (incompressible)
    // block would decode to wrong data without any error.
    ZSTD_CCtx_setParameter(cctx_.get(), ZSTD_c_checksumFlag, 1);
    // A libzstd built without thread support refuses this parameter; the
    // single-threaded output is the same format, so the refusal is ignored.
    if (workers > 0) ZSTD_CCtx_setParameter(cctx_.get(), ZSTD_c_nbWorkers, workers);
  }
  ZstdSink(const ZstdSink&) = delete;
  ZstdSink& operator=(const ZstdSink&) = delete;

  Result<void> write(std::string_view bytes) override {
    if (auto usable = stage_.check_usable(); !usable) return usable;
    ZSTD_inBuffer in{bytes.data(), bytes.size(), 0};
    while (in.pos < in.size) {
      if (auto step = compress(in, ZSTD_e_continue); !step) return tl::unexpected(step.error());
    }
    return {};
  }

  Result<void> finish() override {
    if (auto usable = stage_.check_usable(); !usable) return usable;
    ZSTD_inBuffer in{nullptr, 0, 0};
    for (;;) {
      auto remaining = compress(in, ZSTD_e_end);
      if (!remaining) return tl::unexpected(remaining.error());
      if (*remaining == 0) break;
    }
    if (auto flushed = flush(); !flushed) return flushed;
    stage_.mark_finished();
    return stage_.remember(next_.finish());
  }

 private:
  // One call into zstd; hands the output buffer downstream once it is full so
  // that `next` sees 1 MiB writes. Returns zstd's "bytes left to flush".
  Result<size_t> compress(ZSTD_inBuffer& in, ZSTD_EndDirective mode) {
    ZSTD_outBuffer out{out_.get(), kBufferSize, used_};
    size_t ret = ZSTD_compressStream2(cctx_.get(), &out, &in, mode);
    used_ = out.pos;
    if (ZSTD_isError(ret)) {
      return stage_.record(Error{
          ErrorCode::kIo, std::string("zstd compression failed: ") + ZSTD_getErrorName(ret), {}});
    }
    if (used_ == kBufferSize) {
      if (auto flushed = flush(); !flushed) return tl::unexpected(flushed.error());
    }
    return ret;
  }

  Result<void> flush() {
    if (used_ == 0) return {};
    auto written = stage_.remember(next_.write(std::string_view(out_.get(), used_)));
    used_ = 0;
    return written;
  }

  ByteSink& next_;
  std::unique_ptr<ZSTD_CCtx, CCtxDeleter> cctx_;
  std::unique_ptr<char[]> out_;
  size_t used_ = 0;
  SinkStageError stage_{"zstd compressor"};
};

class ZstdSource final : public ByteSource {
 public:
  explicit ZstdSource(ByteSource& input)
      : input_(input),
        dctx_(ZSTD_createDCtx()),
        in_(std::make_unique_for_overwrite<char[]>(kBufferSize)) {
    if (!dctx_) {
      stage_.record(
          Error{ErrorCode::kGeneral, "cannot create a zstd decompressor (out of memory)", {}});
    }
  }
  ZstdSource(const ZstdSource&) = delete;
  ZstdSource& operator=(const ZstdSource&) = delete;

  Result<size_t> read(char* buffer, size_t size) override {
    if (stage_.failed()) return tl::unexpected(stage_.error());
    ZSTD_outBuffer out{buffer, size, 0};
    while (out.pos < out.size) {
      if (in_pos_ == in_size_ && !eof_) {
        if (auto refilled = refill(); !refilled) return tl::unexpected(refilled.error());
        continue;
      }
      bool input_exhausted = in_pos_ == in_size_;
      // ZSTD_decompressStream() returns 0 exactly when a frame is complete and
      // fully flushed, so this is the only clean way out at end of input.
      if (input_exhausted && !frame_open_) {
        if (!saw_input_) return corrupt("the stream is empty");
        break;
      }
      ZSTD_inBuffer in{in_.get(), in_size_, in_pos_};
      size_t out_before = out.pos;
      size_t ret = ZSTD_decompressStream(dctx_.get(), &out, &in);
      bool progressed = in.pos != in_pos_ || out.pos != out_before;
      in_pos_ = in.pos;
      if (ZSTD_isError(ret)) return corrupt(ZSTD_getErrorName(ret));
      frame_open_ = ret != 0;
      if (!progressed && frame_open_) {
        return corrupt(input_exhausted ? "truncated (the stream ends inside a frame)"
                                       : "the decoder made no progress");
      }
    }
    return out.pos;
  }

 private:
  Result<void> refill() {
    auto got = input_.read(in_.get(), kBufferSize);
    if (!got) return stage_.record(got.error());
    in_pos_ = 0;
    in_size_ = *got;
    eof_ = *got == 0;
    saw_input_ = saw_input_ || *got > 0;
    return {};
  }

  tl::unexpected<Error> corrupt(const std::string& why) {
    return stage_.record(Error{ErrorCode::kIo, "corrupt zstd stream: " + why, {}});
  }

  ByteSource& input_;
  std::unique_ptr<ZSTD_DCtx, DCtxDeleter> dctx_;
  std::unique_ptr<char[]> in_;
  size_t in_pos_ = 0;
  size_t in_size_ = 0;
  bool eof_ = false;
  bool saw_input_ = false;
  bool frame_open_ = false;
  StageError stage_;
};

}  // namespace

std::unique_ptr<ByteSink> make_zstd_sink(ByteSink& next, int workers) {
  return std::make_unique<ZstdSink>(next, workers);
}

std::unique_ptr<ByteSource> make_zstd_source(ByteSource& input) {
  return std::make_unique<ZstdSource>(input);
}

}  // namespace migrate::compression

#include "backup/compression.h"

#include <string>

#include "backup/compression_codecs.h"

namespace migrate {
namespace {

// `--compression none`: the stage is kept in the chain so that callers need
// no special case.
class PassThroughSink final : public ByteSink {
 public:
  explicit PassThroughSink(ByteSink& next) : next_(next) {}
  Result<void> write(std::string_view bytes) override { return next_.write(bytes); }
  Result<void> finish() override { return next_.finish(); }

 private:
  ByteSink& next_;
};

class PassThroughSource final : public ByteSource {
 public:
  explicit PassThroughSource(ByteSource& input) : input_(input) {}
  Result<size_t> read(char* buffer, size_t size) override { return input_.read(buffer, size); }

 private:
  ByteSource& input_;
};

}  // namespace

const char* compression_name(Compression c) {
  switch (c) {
    case Compression::kZstd:
      return "zstd";
    case Compression::kGzip:
      return "gzip";
    case Compression::kNone:
      return "none";
  }
  return "none";
}

Result<Compression> parse_compression(std::string_view name) {
  for (Compression c : {Compression::kZstd, Compression::kGzip, Compression::kNone}) {
    if (name == compression_name(c)) return c;
  }
  return fail(ErrorCode::kUsage,
              "unknown compression '" + std::string(name) + "' (choose zstd, gzip or none)");
}

std::unique_ptr<ByteSink> make_compressing_sink(Compression c, ByteSink& next, int zstd_workers) {
  switch (c) {
    case Compression::kZstd:
      return compression::make_zstd_sink(next, zstd_workers);
    case Compression::kGzip:
      return compression::make_gzip_sink(next);
    case Compression::kNone:
      break;
  }
  return std::make_unique<PassThroughSink>(next);
}

std::unique_ptr<ByteSource> make_decompressing_source(Compression c, ByteSource& input) {
  switch (c) {
    case Compression::kZstd:
      return compression::make_zstd_source(input);
    case Compression::kGzip:
      return compression::make_gzip_source(input);
    case Compression::kNone:
      break;
  }
  return std::make_unique<PassThroughSource>(input);
}

}  // namespace migrate

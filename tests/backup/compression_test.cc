#include "backup/compression.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "stream_helpers.h"

namespace migrate {
namespace {

using backup_test::dump_like_text;
using backup_test::kMiB;
using backup_test::random_bytes;
using backup_test::read_all;
using backup_test::ScratchDir;
using backup_test::StringSink;
using backup_test::StringSource;
using backup_test::write_in_pieces;

const std::vector<std::pair<std::string, std::string>>& inputs() {
  static const auto* cases = new std::vector<std::pair<std::string, std::string>>{
      {"empty", ""},
      {"one byte", "x"},
      {"3 MiB random", random_bytes(3 * kMiB + 17)},
      {"3 MiB dump-like text", dump_like_text(3 * kMiB + 5)},
      {"3 MiB zeros", std::string(3 * kMiB, '\0')},
  };
  return *cases;
}

std::string compress(Compression c, std::string_view input, int workers = 2) {
  StringSink sink;
  auto compressor = make_compressing_sink(c, sink, workers);
  auto written = write_in_pieces(*compressor, input);
  EXPECT_TRUE(written) << written.error().message;
  auto finished = compressor->finish();
  EXPECT_TRUE(finished) << finished.error().message;
  EXPECT_TRUE(sink.finished) << "finish() must finish the next sink";
  return std::move(sink.data);
}

Result<std::string> decompress(Compression c, std::string compressed, size_t buffer_size = 65521,
                               size_t max_read = 4099) {
  StringSource source(std::move(compressed), max_read);
  auto decompressor = make_decompressing_source(c, source);
  return read_all(*decompressor, buffer_size);
}

// Runs `command` on `input` stored in a file and returns its stdout.
std::string run_tool(const std::string& command, const std::string& input) {
  ScratchDir dir;
  auto file = dir.path() / "artifact";
  std::ofstream(file, std::ios::binary)
      .write(input.data(), static_cast<std::streamsize>(input.size()));
  FILE* pipe = ::popen((command + " < '" + file.string() + "'").c_str(), "r");
  if (pipe == nullptr) return "<popen failed>";
  std::string out;
  char buffer[65536];
  size_t got;
  while ((got = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, got);
  int status = ::pclose(pipe);
  if (status != 0) return "<exit status " + std::to_string(status) + ">";
  return out;
}

bool have_tool(const std::string& name) {
  return std::system(("command -v " + name + " >/dev/null 2>&1").c_str()) == 0;
}

TEST(CompressionNames, RoundTrip) {
  for (Compression c : {Compression::kZstd, Compression::kGzip, Compression::kNone}) {
    auto parsed = parse_compression(compression_name(c));
    ASSERT_TRUE(parsed);
    EXPECT_EQ(*parsed, c);
  }
  EXPECT_STREQ(compression_name(Compression::kZstd), "zstd");
  EXPECT_STREQ(compression_name(Compression::kGzip), "gzip");
  EXPECT_STREQ(compression_name(Compression::kNone), "none");
}

TEST(CompressionNames, UnknownNameIsAUsageErrorListingTheChoices) {
  auto parsed = parse_compression("lz4");
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code, ErrorCode::kUsage);
  EXPECT_NE(parsed.error().message.find("'lz4'"), std::string::npos) << parsed.error().message;
  EXPECT_NE(parsed.error().message.find("zstd, gzip or none"), std::string::npos);
  EXPECT_FALSE(parse_compression("ZSTD"));
  EXPECT_FALSE(parse_compression(""));
}

struct Codec {
  Compression compression;
  int zstd_workers;
  const char* label;
};

class CompressionRoundTrip : public ::testing::TestWithParam<Codec> {};

TEST_P(CompressionRoundTrip, EveryInputWithOddBufferSizes) {
  const Codec& codec = GetParam();
  for (const auto& [label, input] : inputs()) {
    SCOPED_TRACE(label);
    std::string compressed = compress(codec.compression, input, codec.zstd_workers);
    for (size_t buffer_size : {size_t{1}, size_t{13}, size_t{65521}, kMiB + 5}) {
      // Byte-at-a-time reads of megabytes would only test patience.
      if (buffer_size == 1 && input.size() > 4096) continue;
      SCOPED_TRACE("buffer size " + std::to_string(buffer_size));
      auto output = decompress(codec.compression, compressed, buffer_size);
      ASSERT_TRUE(output) << output.error().message;
      EXPECT_EQ(output->size(), input.size());
      EXPECT_TRUE(*output == input);
    }
  }
}

TEST_P(CompressionRoundTrip, CompressesAndBuffersItsWrites) {
  const Codec& codec = GetParam();
  std::string input = dump_like_text(3 * kMiB);
  StringSink sink;
  auto compressor = make_compressing_sink(codec.compression, sink, codec.zstd_workers);
  ASSERT_TRUE(write_in_pieces(*compressor, input));
  ASSERT_TRUE(compressor->finish());
  if (codec.compression == Compression::kNone) {
    EXPECT_TRUE(sink.data == input) << "none passes the bytes through unchanged";
    return;
  }
  EXPECT_LT(sink.data.size(), input.size() / 4);
  // Output is handed on in buffer-sized writes, not one per input piece.
  EXPECT_LE(sink.writes, sink.data.size() / kMiB + 1);
}

INSTANTIATE_TEST_SUITE_P(Codecs, CompressionRoundTrip,
                         ::testing::Values(Codec{Compression::kZstd, 2, "zstd_mt"},
                                           Codec{Compression::kZstd, 0, "zstd_st"},
                                           Codec{Compression::kGzip, 0, "gzip"},
                                           Codec{Compression::kNone, 0, "none"}),
                         [](const auto& info) { return std::string(info.param.label); });

TEST(CompressionTools, GzipOutputOpensWithGzip) {
  ASSERT_TRUE(have_tool("gzip")) << "gzip is needed to check gzip compatibility";
  for (const auto& [label, input] : inputs()) {
    SCOPED_TRACE(label);
    std::string output = run_tool("gzip -dc", compress(Compression::kGzip, input));
    EXPECT_EQ(output.size(), input.size()) << output.substr(0, 100);
    EXPECT_TRUE(output == input);
  }
}

TEST(CompressionTools, ZstdOutputOpensWithZstd) {
  if (!have_tool("zstd")) GTEST_SKIP() << "zstd command-line tool not installed";
  for (const auto& [label, input] : inputs()) {
    SCOPED_TRACE(label);
    std::string output = run_tool("zstd -dc", compress(Compression::kZstd, input));
    EXPECT_EQ(output.size(), input.size()) << output.substr(0, 100);
    EXPECT_TRUE(output == input);
  }
}

TEST(CompressionTools, ReadsWhatTheToolsWrite) {
  std::string input = dump_like_text(kMiB + 3);
  auto gzipped = decompress(Compression::kGzip, run_tool("gzip -1c", input));
  ASSERT_TRUE(gzipped) << gzipped.error().message;
  EXPECT_TRUE(*gzipped == input);
  if (!have_tool("zstd")) return;
  auto zstded = decompress(Compression::kZstd, run_tool("zstd -3c", input));
  ASSERT_TRUE(zstded) << zstded.error().message;
  EXPECT_TRUE(*zstded == input);
}

struct DamageCase {
  Compression compression;
  const char* corrupt_prefix;
  const char* truncated_message;
};

class CompressionDamage : public ::testing::TestWithParam<DamageCase> {};

void expect_io_error(const Result<std::string>& result, const std::string& needle) {
  ASSERT_FALSE(result) << "damaged input decoded to " << result->size() << " bytes";
  EXPECT_EQ(result.error().code, ErrorCode::kIo);
  EXPECT_NE(result.error().message.find(needle), std::string::npos) << result.error().message;
}

TEST_P(CompressionDamage, FlippedByteIsAnError) {
  const DamageCase& damage = GetParam();
  for (const std::string& input : {random_bytes(3 * kMiB), dump_like_text(3 * kMiB)}) {
    std::string compressed = compress(damage.compression, input);
    for (size_t at : {compressed.size() / 2, compressed.size() - 3}) {
      std::string corrupt = compressed;
      corrupt[at] = static_cast<char>(corrupt[at] ^ 0x10);
      expect_io_error(decompress(damage.compression, corrupt), damage.corrupt_prefix);
    }
  }
}

TEST_P(CompressionDamage, TruncationIsAnError) {
  const DamageCase& damage = GetParam();
  for (const std::string& input : {std::string(), std::string("x"), random_bytes(3 * kMiB)}) {
    std::string compressed = compress(damage.compression, input);
    for (size_t keep : {size_t{0}, size_t{5}, compressed.size() / 2, compressed.size() - 1}) {
      if (keep >= compressed.size()) continue;
      SCOPED_TRACE("keep " + std::to_string(keep) + " of " + std::to_string(compressed.size()));
      expect_io_error(decompress(damage.compression, compressed.substr(0, keep)),
                      keep == 0 ? damage.corrupt_prefix : damage.truncated_message);
    }
  }
}

TEST_P(CompressionDamage, ConcatenatedStreamsReadAsOne) {
  const DamageCase& damage = GetParam();
  auto output = decompress(damage.compression, compress(damage.compression, "first ") +
                                                   compress(damage.compression, "second"));
  ASSERT_TRUE(output) << output.error().message;
  EXPECT_EQ(*output, "first second");
}

TEST_P(CompressionDamage, DownstreamErrorsComeBackAndStick) {
  backup_test::FailingSink failing;
  auto compressor = make_compressing_sink(GetParam().compression, failing);
  std::string input = random_bytes(2 * kMiB);
  auto written = compressor->write(input);
  auto finished = written ? compressor->finish() : Result<void>(tl::unexpected(written.error()));
  ASSERT_FALSE(finished);
  EXPECT_EQ(finished.error().message, "disk full");
  auto again = compressor->write("more");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().message, "disk full");
}

TEST_P(CompressionDamage, WriteAfterFinishIsAnError) {
  StringSink sink;
  auto compressor = make_compressing_sink(GetParam().compression, sink);
  ASSERT_TRUE(compressor->finish());
  EXPECT_FALSE(compressor->write("late"));
}

INSTANTIATE_TEST_SUITE_P(
    Codecs, CompressionDamage,
    ::testing::Values(DamageCase{Compression::kZstd, "corrupt zstd stream",
                                 "corrupt zstd stream: truncated"},
                      DamageCase{Compression::kGzip, "gzip stream", "truncated gzip stream"}),
    [](const auto& info) { return std::string(compression_name(info.param.compression)); });

}  // namespace
}  // namespace migrate

// Decrypting a backup artifact (src/backup/encryption_stream.cc,
// encryption_format.cc) from arbitrary bytes.
//
// Two kinds of input, by the first byte:
//   'E': the rest is plaintext. It is encrypted with a fixed raw key, the
//        artifact is damaged as the fuzzer's bytes say (one byte changed,
//        cut short, or bytes appended), and decrypted again in reads of
//        varying size. Property: it decrypts to the plaintext exactly when
//        it was left intact; otherwise decryption fails, with a kIo error,
//        before handing out a byte that was not in the plaintext.
//   else: the rest is an artifact as found on disk. Property: decryption
//        fails cleanly (kIo, or kUsage/kGeneral for the key) or yields bytes;
//        never a crash, hang or huge allocation.
// A header asking for scrypt has its cost lowered to the minimum, so that
// each run stays fast; the parameters' range checks are fuzzed before that.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <string>

#include "backup/encryption.h"
#include "backup/encryption_format.h"
#include "fuzz_check.h"

namespace migrate::fuzz {
namespace {

const BackupKey kKey{std::string(64, 'a'), "fuzz"};

class StringSink : public ByteSink {
 public:
  Result<void> write(std::string_view bytes) override {
    out.append(bytes);
    return {};
  }
  Result<void> finish() override { return {}; }
  std::string out;
};

// Hands out `data` in reads of at most `step` bytes.
class StringSource : public ByteSource {
 public:
  StringSource(std::string_view data, size_t step) : data_(data), step_(step) {}
  Result<size_t> read(char* buffer, size_t size) override {
    size_t n = std::min({size, step_, data_.size()});
    std::copy_n(data_.data(), n, buffer);
    data_.remove_prefix(n);
    return n;
  }

 private:
  std::string_view data_;
  size_t step_;
};

// Decrypts everything; the plaintext read so far, and the error if any.
Result<std::string> decrypt(std::string_view artifact, size_t step, std::string& plain) {
  StringSource input(artifact, step);
  auto source = make_decrypting_source(kKey, input);
  if (!source) return tl::unexpected(source.error());
  char buffer[4096];
  for (;;) {
    auto n = (*source)->read(buffer, 1 + plain.size() % sizeof buffer);
    if (!n) return tl::unexpected(n.error());
    if (*n == 0) return plain;
    plain.append(buffer, *n);
  }
}

void cheapen_scrypt(std::string& artifact) {
  if (artifact.size() < encryption::kHeaderSize) return;
  encryption::HeaderBytes bytes;
  std::copy_n(artifact.data(), bytes.size(), bytes.begin());
  auto header = encryption::decode_header(bytes);
  if (!header || header->kdf != encryption::Kdf::kScrypt) return;
  artifact[12] = 1;  // log2(N), r, p
  artifact[13] = 1;
  artifact[14] = 1;
}

void check_damaged(FuzzedDataProvider& input) {
  int damage = input.ConsumeIntegralInRange(0, 3);
  size_t where = input.ConsumeIntegral<uint16_t>();
  unsigned char value = input.ConsumeIntegral<unsigned char>();
  size_t step = input.ConsumeIntegralInRange<size_t>(1, 70000);
  std::string plaintext = input.ConsumeRemainingBytesAsString();

  StringSink sink;
  auto encrypting = make_encrypting_sink(kKey, sink);
  FUZZ_CHECK(encrypting.has_value());
  FUZZ_CHECK((*encrypting)->write(plaintext).has_value());
  FUZZ_CHECK((*encrypting)->finish().has_value());
  std::string artifact = sink.out;
  where %= artifact.size();
  if (damage == 1) artifact[where] = static_cast<char>(artifact[where] ^ (value | 1));
  if (damage == 2) artifact.resize(where);
  if (damage == 3) artifact.append(1 + value % 32, static_cast<char>(value));

  std::string plain;
  auto result = decrypt(artifact, step, plain);
  if (artifact == sink.out) {
    FUZZ_CHECK(result.has_value());
    FUZZ_CHECK(*result == plaintext);
    return;
  }
  FUZZ_CHECK(!result.has_value());
  FUZZ_CHECK(result.error().code == ErrorCode::kIo);
  FUZZ_CHECK(plaintext.starts_with(plain));  // nothing unauthenticated came out
}

void check_arbitrary(std::string artifact) {
  cheapen_scrypt(artifact);
  std::string plain;
  auto result = decrypt(artifact, 1 + artifact.size() % 977, plain);
  if (!result) {
    ErrorCode code = result.error().code;
    FUZZ_CHECK(code == ErrorCode::kIo || code == ErrorCode::kUsage || code == ErrorCode::kGeneral);
  }
}

}  // namespace
}  // namespace migrate::fuzz

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, size_t size) {
  using namespace migrate::fuzz;
  if (size == 0) return 0;
  if (data[0] == 'E') {
    FuzzedDataProvider input(data + 1, size - 1);
    check_damaged(input);
  } else {
    check_arbitrary(std::string(as_text(data + 1, size - 1)));
  }
  return 0;
}

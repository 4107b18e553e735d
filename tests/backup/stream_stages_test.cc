// VerifyingSource: the artifact checksum checked while the artifact decodes.
#include "backup/stream_stages.h"

#include <gtest/gtest.h>

#include "backup/stream_helpers.h"
#include "util/crypto.h"

namespace migrate {
namespace {

using backup_test::StringSource;

struct Case {
  const char* name;
  std::string served;        // what the file holds now
  const char* expect_error;  // nullptr: every byte comes through
};

class VerifyingSourceTest : public ::testing::TestWithParam<Case> {};

TEST_P(VerifyingSourceTest, PassesTheExactArtifactAndFailsTheLastReadOfAnyOther) {
  const std::string original(3 * 65521 + 17, 'a');
  StringSource file(GetParam().served);
  VerifyingSource source(
      file, FileDigest{sha256_hex(original), original.size()}, [](const FileDigest& actual) {
        return Error{ErrorCode::kIo, "damaged: " + std::to_string(actual.size) + " bytes", {}};
      });
  std::string read;
  std::vector<char> buffer(10000);
  Result<size_t> n;
  while ((n = source.read(buffer.data(), buffer.size())) && *n > 0) read.append(buffer.data(), *n);
  if (!GetParam().expect_error) {
    ASSERT_TRUE(n) << n.error().message;
    EXPECT_EQ(read, original);
    return;
  }
  ASSERT_FALSE(n) << "a damaged artifact read to its end without an error";
  EXPECT_EQ(n.error().message, GetParam().expect_error);
}

std::string flipped() {
  std::string s(3 * 65521 + 17, 'a');
  s[70000] = 'b';
  return s;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, VerifyingSourceTest,
    ::testing::Values(Case{"Exact", std::string(3 * 65521 + 17, 'a'), nullptr},
                      Case{"FlippedByte", flipped(), "damaged: 196580 bytes"},
                      Case{"Truncated", std::string(100000, 'a'), "damaged: 100000 bytes"},
                      Case{"LongerWithTheSamePrefix", std::string(3 * 65521 + 17, 'a') + "tail",
                           "damaged: 196584 bytes"}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace migrate

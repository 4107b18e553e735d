// ReadAheadSource: the same bytes, in order, with the upstream's error
// after the bytes before it, and no hang when the consumer stops early.
#include "backup/read_ahead.h"

#include <gtest/gtest.h>

#include "backup/stream_helpers.h"

namespace migrate {
namespace {

using backup_test::random_bytes;
using backup_test::read_all;
using backup_test::StringSource;

// Serves `data`, then fails.
class FailingAfter final : public ByteSource {
 public:
  explicit FailingAfter(std::string data) : inner_(std::move(data), 1000) {}
  Result<size_t> read(char* buffer, size_t size) override {
    auto n = inner_.read(buffer, size);
    if (n && *n == 0) return fail(ErrorCode::kIo, "backup 'x' is damaged");
    return n;
  }

 private:
  StringSource inner_;
};

struct Shape {
  size_t bytes, buffers, buffer_size, read_size;
};

class ReadAheadTest : public ::testing::TestWithParam<Shape> {};

TEST_P(ReadAheadTest, DeliversEveryByteInOrder) {
  const auto& shape = GetParam();
  std::string data = random_bytes(shape.bytes);
  StringSource upstream(data, 4099);
  ReadAheadSource ahead(upstream, shape.buffers, shape.buffer_size);
  auto got = read_all(ahead, shape.read_size);
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(*got, data);
  auto again = ahead.read(nullptr, 0);  // the end stays the end
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, 0u);
}

INSTANTIATE_TEST_SUITE_P(Shapes, ReadAheadTest,
                         ::testing::Values(Shape{0, 4, 1024, 100}, Shape{1, 1, 1, 1},
                                           Shape{100000, 1, 4096, 333},
                                           Shape{300000, 4, 65536, 1 << 20},
                                           Shape{3 << 20, 4, 1 << 20, 65521}));

TEST(ReadAheadErrorTest, PassesTheUpstreamErrorAfterTheBytesBeforeIt) {
  std::string data = random_bytes(50000);
  FailingAfter upstream(data);
  ReadAheadSource ahead(upstream, 2, 4096);
  std::string got;
  std::vector<char> buffer(3000);
  Result<size_t> n;
  while ((n = ahead.read(buffer.data(), buffer.size())) && *n > 0) got.append(buffer.data(), *n);
  ASSERT_FALSE(n);
  EXPECT_EQ(n.error().message, "backup 'x' is damaged");
  EXPECT_EQ(got, data);
}

TEST(ReadAheadErrorTest, AConsumerThatStopsEarlyDoesNotHang) {
  std::string data = random_bytes(10 << 20);
  StringSource upstream(data);
  {
    ReadAheadSource ahead(upstream, 2, 65536);
    char byte;
    ASSERT_TRUE(ahead.read(&byte, 1));
  }  // destroyed with the worker blocked on full buffers
  SUCCEED();
}

}  // namespace
}  // namespace migrate

// What a failed dump comparison prints: the lines that differ, numbered.
#include "support/dump_diff.h"

#include <gtest/gtest.h>

namespace migrate::testing {
namespace {

TEST(DumpDifferenceTest, NamesTheMissingAndTheExtraLines) {
  EXPECT_EQ(dump_difference("a\nb\n", "a\nb\n"), "");
  EXPECT_EQ(dump_difference("a\n\nb\n\nc\n", "a\nb\nc\nd\n"), "- 2: \n- 4: \n+ 4: d\n");
  // Repeats count: one blank line of two is gone.
  EXPECT_EQ(dump_difference("x\n\n\ny\n", "x\n\ny\n"), "- 3: \n");
}

TEST(DumpDifferenceTest, SaysWhenOnlyTheOrderDiffers) {
  EXPECT_EQ(dump_difference("a\nb\n", "b\na\n"),
            "the same lines in another order (or line endings differ)\n");
}

}  // namespace
}  // namespace migrate::testing

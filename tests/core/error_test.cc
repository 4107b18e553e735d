#include "migrate/error.h"

#include <gtest/gtest.h>

namespace migrate {
namespace {

TEST(Printable, EscapesWhatCouldForgeOutputAndKeepsTheRest) {
  const std::pair<std::string, std::string> cases[] = {
      {"add_users", "add_users"},
      {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"},
      {"a\nb\tc\rd", "a\\x0ab\\x09c\\x0dd"},
      {"\x1b[2J", "\\x1b[2J"},
      {std::string("nul\0x", 5), "nul\\x00x"},
      {"del\x7f", "del\\x7f"},
      {"bad\xff", "bad\\xff"},
      {"cut\xe2\x82", "cut\\xe2\\x82"},            // truncated sequence
      {"overlong\xc0\xaf", "overlong\\xc0\\xaf"},  // '/' in two bytes
      {"surrogate\xed\xa0\x80", "surrogate\\xed\\xa0\\x80"},
      {"too_high\xf4\x90\x80\x80", "too_high\\xf4\\x90\\x80\\x80"},
  };
  for (const auto& [text, expected] : cases) {
    SCOPED_TRACE(expected);
    EXPECT_EQ(printable(text), expected);
  }
}

}  // namespace
}  // namespace migrate

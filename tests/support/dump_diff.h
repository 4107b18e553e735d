// Telling two database dumps apart in a few lines: a failed comparison of
// whole dumps would print thousands of lines, this prints what differs.
#pragma once

#include <string>

namespace migrate::testing {

// The lines of `expected` that `actual` lacks ("- 12: line", numbered in
// `expected`) and the lines of `actual` that `expected` lacks ("+ 12: line",
// numbered in `actual`), each in its dump's order; a
// note when both hold the same lines in another order; empty when equal.
std::string dump_difference(const std::string& expected, const std::string& actual);

}  // namespace migrate::testing

// What every fuzz target shares: a property check that stops the run.
//
// A target's job is to find inputs on which a parser crashes, trips a
// sanitizer or breaks one of its documented properties. The sanitizers
// report the first two; FUZZ_CHECK reports the third by aborting, which
// libFuzzer turns into a saved crash input like any other finding.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace migrate::fuzz {

[[noreturn]] inline void property_failed(const char* file, int line, const char* what) {
  std::fprintf(stderr, "%s:%d: fuzz property failed: %s\n", file, line, what);
  std::abort();
}

// The fuzz input as text.
inline std::string_view as_text(const unsigned char* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace migrate::fuzz

#define FUZZ_CHECK(condition)                                                           \
  do {                                                                                  \
    if (!(condition)) ::migrate::fuzz::property_failed(__FILE__, __LINE__, #condition); \
  } while (0)

// Cutting a fuzz input into the chunks a stream delivers.
//
// The dump scanners read a stream chunk by chunk and must reach the same
// result wherever the chunks are cut (mid-line, mid-delimiter, one byte at a
// time). The input's first bytes say where to cut the rest.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace migrate::fuzz {

struct ChunkedInput {
  std::string_view text;
  std::vector<std::string_view> chunks;
};

// The first byte holds the target's option bits; the next two seed the
// chunk lengths (1..64 bytes, cycling).
inline ChunkedInput cut_into_chunks(std::string_view input) {
  ChunkedInput out;
  if (input.size() < 3) return out;
  uint32_t seed = static_cast<unsigned char>(input[1]) << 8 | static_cast<unsigned char>(input[2]);
  out.text = input.substr(3);
  for (std::string_view rest = out.text; !rest.empty();) {
    seed = seed * 1103515245u + 12345u;
    size_t length = 1 + (seed >> 16) % 64;
    out.chunks.push_back(rest.substr(0, length));
    rest.remove_prefix(std::min(length, rest.size()));
  }
  return out;
}

}  // namespace migrate::fuzz

// SipHash-2-4, twice under fixed keys, summed per table.
#include "drivers/row_set_hash.h"

#include <fmt/format.h>

#include <bit>
#include <cstring>

namespace migrate {

namespace {

// SipHash-2-4 state for one key; two of them run over the same words.
struct SipState {
  std::uint64_t v0, v1, v2, v3;
  SipState(std::uint64_t k0, std::uint64_t k1)
      : v0(0x736f6d6570736575ULL ^ k0),
        v1(0x646f72616e646f6dULL ^ k1),
        v2(0x6c7967656e657261ULL ^ k0),
        v3(0x7465646279746573ULL ^ k1) {}
  static std::uint64_t rotl(std::uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }
  void round() {
    v0 += v1, v1 = rotl(v1, 13), v1 ^= v0, v0 = rotl(v0, 32);
    v2 += v3, v3 = rotl(v3, 16), v3 ^= v2;
    v0 += v3, v3 = rotl(v3, 21), v3 ^= v0;
    v2 += v1, v1 = rotl(v1, 17), v1 ^= v2, v2 = rotl(v2, 32);
  }
  void absorb(std::uint64_t m) {
    v3 ^= m;
    round(), round();
    v0 ^= m;
  }
  std::uint64_t finish() {
    v2 ^= 0xff;
    round(), round(), round(), round();
    return v0 ^ v1 ^ v2 ^ v3;
  }
};

// Little-endian, whatever the host.
std::uint64_t load_le(const char* p, size_t n) {
  std::uint64_t m = 0;
  if (n == 8 && std::endian::native == std::endian::little) {
    std::memcpy(&m, p, 8);
    return m;
  }
  for (size_t i = 0; i < n; ++i) m |= std::uint64_t{static_cast<unsigned char>(p[i])} << (8 * i);
  return m;
}

void siphash24_two(const std::uint64_t keys[4], std::string_view data, std::uint64_t out[2]) {
  SipState a(keys[0], keys[1]), b(keys[2], keys[3]);
  const char* p = data.data();
  size_t left = data.size();
  for (; left >= 8; p += 8, left -= 8) {
    std::uint64_t m = load_le(p, 8);
    a.absorb(m);
    b.absorb(m);
  }
  std::uint64_t m = load_le(p, left) | (std::uint64_t{data.size() & 0xff} << 56);
  a.absorb(m);
  b.absorb(m);
  out[0] = a.finish();
  out[1] = b.finish();
}

// Fixed keys: the hash must be the same in every run, on every host.
constexpr std::uint64_t kRowKeys[4] = {0x6d69677261746531ULL, 0x726f772d68617368ULL,
                                       0x6d69677261746532ULL, 0x726f772d68617368ULL};

}  // namespace

std::uint64_t siphash24(std::uint64_t k0, std::uint64_t k1, std::string_view data) {
  const std::uint64_t keys[4] = {k0, k1, k0, k1};
  std::uint64_t out[2];
  siphash24_two(keys, data, out);
  return out[0];
}

void RowSetHash::add(std::string_view line) {
  std::uint64_t hashes[2];
  siphash24_two(kRowKeys, line, hashes);
  sums_[0] += hashes[0];
  sums_[1] += hashes[1];
  ++rows_;
}

void RowSetHash::merge(const RowSetHash& other) {
  sums_[0] += other.sums_[0];
  sums_[1] += other.sums_[1];
  rows_ += other.rows_;
}

std::string RowSetHash::text() const {
  return fmt::format("{} {:016x} {:016x}", rows_, sums_[0], sums_[1]);
}

}  // namespace migrate

// Order-independent hashing of a table's rows, for content fingerprints:
// the same rows give the same value whether they come from a dump or from
// the live table, whatever order they are stored in.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace migrate {

// The rows of one table, each as one line of text (PostgreSQL: COPY's text
// format; MySQL: a row's VALUES tuple as the dump writes it), hashed without
// regard to their order: the sum of every
// line's SipHash-2-4 under two fixed keys (128 bits). The same rows give the
// same value whether they come from a dump or from the live table.
class RowSetHash {
 public:
  void add(std::string_view line);
  // Adds the rows `other` holds, as if add() had seen them here.
  void merge(const RowSetHash& other);
  std::int64_t rows() const { return rows_; }
  // "<rows> <sum> <sum>", the sums in hex: what a table's digest is made of.
  std::string text() const;

 private:
  std::int64_t rows_ = 0;
  std::uint64_t sums_[2] = {0, 0};
};

// SipHash-2-4 of `data` under the key (k0, k1).
std::uint64_t siphash24(std::uint64_t k0, std::uint64_t k1, std::string_view data);

}  // namespace migrate

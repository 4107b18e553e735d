#include "drivers/sqlite/sqlite_btree.h"

#include <fmt/format.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <algorithm>

namespace migrate::sqlite {
namespace {

using namespace sqlite_api;

constexpr int kMaxDepth = 40;  // far beyond any real b-tree (SQLite's own limit is 20)
constexpr std::uint32_t kWindowPages = 32;

// Page types (file format §1.6).
constexpr unsigned char kIndexInterior = 0x02;
constexpr unsigned char kTableInterior = 0x05;
constexpr unsigned char kIndexLeaf = 0x0a;
constexpr unsigned char kTableLeaf = 0x0d;

std::uint32_t be16(const unsigned char* p) {
  return (std::uint32_t{p[0]} << 8) | p[1];
}
std::uint32_t be32(const unsigned char* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         p[3];
}

// SQLite's variable-length integer: 1 to 9 bytes, big-endian, 7 bits per
// byte except the ninth, which gives all 8. False when it runs past `end`.
bool read_varint(const unsigned char*& p, const unsigned char* end, std::uint64_t& value) {
  value = 0;
  for (int i = 0; i < 9; ++i) {
    if (p >= end) return false;
    unsigned char byte = *p++;
    if (i == 8) {
      value = (value << 8) | byte;
      return true;
    }
    value = (value << 7) | (byte & 0x7f);
    if (!(byte & 0x80)) return true;
  }
  return true;
}

}  // namespace

BtreeReader::BtreeReader(sqlite3_file* file, std::uint32_t page_size, std::uint32_t usable_size,
                         std::uint32_t page_count, FileMap map)
    : file_(file),
      page_size_(page_size),
      usable_size_(usable_size),
      page_count_(page_count),
      level_buffers_(kMaxDepth),
      trimmer_(map) {}

tl::unexpected<Error> BtreeReader::corrupt(std::uint32_t page, std::string_view what) const {
  return fail(ErrorCode::kIo, fmt::format("the database file is damaged: page {} {}", page, what),
              "run `PRAGMA integrity_check` on it");
}

BtreeReader::Mapped::~Mapped() {
  if (address) file->pMethods->xUnfetch(file, offset, address);
}

Result<const unsigned char*> BtreeReader::read_page(std::uint32_t number,
                                                    std::vector<unsigned char>& buffer,
                                                    Mapped& mapped) {
  if (number == 0 || number > page_count_) return corrupt(number, "is outside the file");
  auto offset = static_cast<sqlite3_int64>(number - 1) * page_size_;
  // Where SQLite has the file memory-mapped, the page is used where it lies.
  if (file_->pMethods->iVersion >= 3 &&
      file_->pMethods->xFetch(file_, offset, static_cast<int>(page_size_), &mapped.address) ==
          SQLITE_OK &&
      mapped.address) {
    mapped.file = file_;
    mapped.offset = offset;
    trimmer_.read(page_size_);
    return static_cast<const unsigned char*>(mapped.address);
  }
  mapped.address = nullptr;
  if (number < window_first_ || number >= window_first_ + window_pages_) {
    std::uint32_t pages = std::min(kWindowPages, page_count_ - number + 1);
    window_.resize(size_t{kWindowPages} * page_size_);
    int rc =
        file_->pMethods->xRead(file_, window_.data(), static_cast<int>(pages * page_size_), offset);
    if (rc != SQLITE_OK) {
      window_pages_ = 0;
      return fail(ErrorCode::kIo, fmt::format("cannot read page {} of the database: {}", number,
                                              sqlite3_errstr(rc)));
    }
    window_first_ = number;
    window_pages_ = pages;
  }
  auto begin = window_.begin() + static_cast<std::ptrdiff_t>(number - window_first_) * page_size_;
  buffer.assign(begin, begin + page_size_);
  return buffer.data();
}

Result<std::int64_t> BtreeReader::walk(std::uint32_t root_page, RecordVisitor& visitor) {
  std::int64_t records = 0;
  if (auto r = walk_page(root_page, 0, visitor, records); !r) return tl::unexpected(r.error());
  return records;
}

Result<void> BtreeReader::walk_page(std::uint32_t number, int depth, RecordVisitor& visitor,
                                    std::int64_t& records) {
  if (depth >= kMaxDepth) return corrupt(number, "is nested too deep (a loop in the b-tree?)");
  Mapped mapped;
  auto read = read_page(number, level_buffers_[depth], mapped);  // the outer vector never resizes
  if (!read) return tl::unexpected(read.error());
  const unsigned char* page = *read;
  const size_t header = number == 1 ? 100 : 0;  // page 1 starts with the file header
  const unsigned char type = page[header];
  const bool interior = type == kIndexInterior || type == kTableInterior;
  if (!interior && type != kIndexLeaf && type != kTableLeaf)
    return corrupt(number, "is not a b-tree page");
  const std::uint32_t cells = be16(&page[header + 3]);
  const size_t pointers = header + (interior ? 12 : 8);
  if (pointers + 2 * size_t{cells} > usable_size_) return corrupt(number, "has too many cells");
  const unsigned char* end = page + usable_size_;

  for (std::uint32_t i = 0; i < cells; ++i) {
    std::uint32_t offset = be16(&page[pointers + 2 * i]);
    if (offset < pointers || offset >= usable_size_)
      return corrupt(number, "has a cell outside it");
    const unsigned char* p = page + offset;
    if (interior) {
      if (p + 4 > end) return corrupt(number, "has a truncated cell");
      if (auto r = walk_page(be32(p), depth + 1, visitor, records); !r) return r;
      if (type == kTableInterior) continue;  // its key is only a rowid bound
      p += 4;
    }
    std::uint64_t size = 0, rowid = 0;
    if (!read_varint(p, end, size)) return corrupt(number, "has a truncated cell");
    if (type == kTableLeaf && !read_varint(p, end, rowid))
      return corrupt(number, "has a truncated cell");
    visitor.begin_record(static_cast<std::int64_t>(rowid), size);
    bool index = type != kTableLeaf;
    if (auto r = visit_payload(page, static_cast<size_t>(p - page), size, index, visitor); !r)
      return r;
    ++records;
  }
  if (interior) return walk_page(be32(&page[header + 8]), depth + 1, visitor, records);
  return {};
}

Result<void> BtreeReader::visit_payload(const unsigned char* page, size_t offset,
                                        std::uint64_t size, bool index, RecordVisitor& visitor) {
  // How much of a record stays on its b-tree page (file format §1.6).
  const std::uint64_t u = usable_size_;
  const std::uint64_t max_local = index ? (u - 12) * 64 / 255 - 23 : u - 35;
  const std::uint64_t min_local = (u - 12) * 32 / 255 - 23;
  std::uint64_t local = size;
  if (size > max_local) {
    std::uint64_t k = min_local + (size - min_local) % (u - 4);
    local = k <= max_local ? k : min_local;
  }
  const bool spills = local < size;
  if (offset + local + (spills ? 4 : 0) > usable_size_)
    return corrupt(0, "has a record past its end");
  visitor.add_bytes(std::string_view(reinterpret_cast<const char*>(&page[offset]), local));
  std::uint64_t remaining = size - local;
  if (!spills) return {};
  std::uint32_t next = be32(&page[offset + local]);
  // Each overflow page holds u - 4 bytes; a longer chain is a loop.
  std::uint64_t budget = remaining / (u - 4) + 1;
  while (remaining > 0) {
    if (budget-- == 0) return corrupt(next, "makes an overflow chain longer than its record");
    Mapped mapped;
    auto overflow = read_page(next, overflow_, mapped);
    if (!overflow) return tl::unexpected(overflow.error());
    std::uint64_t n = std::min<std::uint64_t>(remaining, u - 4);
    visitor.add_bytes(std::string_view(reinterpret_cast<const char*>(*overflow + 4), n));
    remaining -= n;
    next = be32(*overflow);
  }
  return {};
}

}  // namespace migrate::sqlite

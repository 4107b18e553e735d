// Reads a SQLite database's b-trees straight from its pages (the file format
// of https://www.sqlite.org/fileformat.html), so that the content fingerprint
// costs about one pass over the table pages instead of decoding every value
// through SQL. The fingerprint of a table is then a hash of its records as
// SQLite stores them (rowid, then the record's type header and values), in
// key order: equal content gives equal hashes, whatever the page layout.
//
// Pages are read through SQLite's own file handle (its memory map where the
// connection has one: see enable_memory_map()), inside a read transaction
// the caller holds, so the file cannot change underneath and SQLite's POSIX
// locks are never disturbed by a second descriptor.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "drivers/sqlite/sqlite_files.h"
#include "migrate/error.h"

namespace sqlite_api {
struct sqlite3_file;
}

namespace migrate::sqlite {

// Receives the records of one b-tree in key order.
class RecordVisitor {
 public:
  virtual ~RecordVisitor() = default;
  // A table record starts: its rowid and the record's size in bytes.
  // Records of WITHOUT ROWID tables (index b-trees) have no rowid: 0.
  virtual void begin_record(std::int64_t rowid, std::uint64_t size) = 0;
  // The record's bytes, in one or more pieces (large records span overflow pages).
  virtual void add_bytes(std::string_view bytes) = 0;
};

class BtreeReader {
 public:
  // `page_count` bounds every page number read, so a damaged file cannot send
  // the walk outside it or round in circles.
  BtreeReader(sqlite_api::sqlite3_file* file, std::uint32_t page_size, std::uint32_t usable_size,
              std::uint32_t page_count, FileMap map);

  // Visits every record of the b-tree rooted at `root_page` (a table's
  // rootpage from sqlite_schema). Returns the number of records.
  Result<std::int64_t> walk(std::uint32_t root_page, RecordVisitor& visitor);

 private:
  // A page mapped by SQLite (xFetch), released when this goes out of scope.
  struct Mapped {
    sqlite_api::sqlite3_file* file = nullptr;
    std::int64_t offset = 0;
    void* address = nullptr;
    Mapped() = default;
    ~Mapped();
    Mapped(const Mapped&) = delete;
    Mapped& operator=(const Mapped&) = delete;
  };
  // Page `number`: where SQLite maps the file, in place (held by `mapped`);
  // otherwise copied into `buffer`.
  Result<const unsigned char*> read_page(std::uint32_t number, std::vector<unsigned char>& buffer,
                                         Mapped& mapped);
  Result<void> walk_page(std::uint32_t number, int depth, RecordVisitor& visitor,
                         std::int64_t& records);
  Result<void> visit_payload(const unsigned char* page, size_t offset, std::uint64_t size,
                             bool index, RecordVisitor& visitor);
  tl::unexpected<Error> corrupt(std::uint32_t page, std::string_view what) const;

  sqlite_api::sqlite3_file* file_;
  std::uint32_t page_size_;
  std::uint32_t usable_size_;
  std::uint32_t page_count_;
  std::vector<std::vector<unsigned char>> level_buffers_;  // one page per tree level
  std::vector<unsigned char> overflow_;
  MapTrimmer trimmer_;
  // Read-ahead: leaves of a table are mostly adjacent in the file, so pages
  // are read in windows of kWindowPages rather than one system call each.
  std::vector<unsigned char> window_;
  std::uint32_t window_first_ = 0, window_pages_ = 0;
};

}  // namespace migrate::sqlite

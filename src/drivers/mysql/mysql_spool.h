// Reading a backup's dump before a restore touches any database: it is
// copied to a private scratch file and checked (a MySQL dump, ending with
// its completion comment), so a backup that cannot be read changes
// nothing. The copy keeps only the INSERT statements, table by table; the
// schema statements stay in memory.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "drivers/mysql/mysql_row_loader.h"
#include "migrate/byte_stream.h"

namespace migrate::mysql {

// A private file in the backup store, named like an AtomicFile temporary
// so that a crashed run's leftover is cleaned up; removed when this goes.
class ScratchFile {
 public:
  static Result<std::unique_ptr<ScratchFile>> create(const std::filesystem::path& dir);
  ~ScratchFile();
  ScratchFile(const ScratchFile&) = delete;
  ScratchFile& operator=(const ScratchFile&) = delete;

  Result<void> write(std::string_view bytes);
  std::uint64_t size() const { return size_; }
  // Reads `span` whole; safe from several threads at once.
  Result<std::string> read_at(Span span) const;

 private:
  ScratchFile(std::filesystem::path path, int fd) : path_(std::move(path)), fd_(fd) {}
  tl::unexpected<Error> failure(std::string_view what) const;
  std::filesystem::path path_;
  int fd_;
  std::uint64_t size_ = 0;
};

// The dump, split: its schema statements in order, and where each table's
// INSERTs lie in the scratch file.
struct SplitDump {
  std::string database;  // the one it was taken of
  std::vector<std::string> schema;
  std::vector<TableRows> tables;  // in dump order
};

// The source, spooled to a scratch file.
struct Spooled {
  std::unique_ptr<ScratchFile> file;
  SplitDump dump;
};

// Spools `source` into a scratch file in `scratch_dir` and checks it is a
// whole dump; on failure the message says the database was not changed.
Result<Spooled> read_dump(ByteSource& source, const std::filesystem::path& scratch_dir);

}  // namespace migrate::mysql

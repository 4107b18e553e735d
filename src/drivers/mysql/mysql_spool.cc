#include "drivers/mysql/mysql_spool.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>

#include "drivers/mysql/mysql_dump_format.h"
#include "util/env.h"

namespace migrate::mysql {
namespace {

constexpr size_t kChunk = size_t{1} << 20;

// Copies the source's INSERTs into `file` and its schema statements into
// memory, checking that it is a whole dump.
Result<SplitDump> spool(ByteSource& source, ScratchFile& file) {
  SplitDump dump;
  std::map<std::string, size_t, std::less<>> index;
  DumpReader reader([&](const DumpStatement& statement) -> Result<void> {
    if (statement.kind == DumpStatement::Kind::kSchema) {
      dump.schema.emplace_back(statement.text);
      return {};
    }
    auto [it, added] = index.try_emplace(std::string(statement.table), dump.tables.size());
    if (added)
      dump.tables.push_back(TableRows{std::string(statement.table), {}, 0, true, std::nullopt});
    TableRows& table = dump.tables[it->second];
    table.inserts.push_back(Span{file.size(), statement.text.size()});
    table.bytes += statement.text.size();
    table.plain = table.plain && statement.text.starts_with(
                                     "INSERT INTO " + quote_identifier(table.name) + " VALUES");
    return file.write(statement.text);
  });
  std::vector<char> buffer(kChunk);
  for (;;) {
    auto n = source.read(buffer.data(), buffer.size());
    if (!n) return tl::unexpected(n.error());
    if (*n == 0) break;
    if (auto r = reader.feed(std::string_view(buffer.data(), *n)); !r)
      return tl::unexpected(r.error());
  }
  if (auto r = reader.finish(); !r) return tl::unexpected(r.error());
  dump.database = reader.database();
  if (!reader.looks_like_dump())
    return fail(ErrorCode::kGeneral,
                "the backup does not hold a MySQL dump (mariadb-dump's format)");
  if (!reader.complete())
    return fail(ErrorCode::kGeneral,
                "the backup is incomplete: the dump does not end with its completion comment");
  return dump;
}

}  // namespace

Result<std::unique_ptr<ScratchFile>> ScratchFile::create(const std::filesystem::path& dir) {
  auto path = dir / fmt::format(".mysql-restore.sql.tmp-{}", ::getpid());
  int fd = env().open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return fail(ErrorCode::kIo,
                fmt::format("cannot create '{}': {}", path.string(), std::strerror(errno)));
  }
  return std::unique_ptr<ScratchFile>(new ScratchFile(path, fd));
}

ScratchFile::~ScratchFile() {
  env().close(fd_);
  env().unlink(path_);
}

Result<void> ScratchFile::write(std::string_view bytes) {
  size_ += bytes.size();
  while (!bytes.empty()) {
    ssize_t n = env().write(fd_, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return failure("write");
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

Result<std::string> ScratchFile::read_at(Span span) const {
  std::string text(span.size, '\0');
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = env().pread(fd_, text.data() + done, text.size() - done,
                            static_cast<off_t>(span.offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return failure(n == 0 ? "read (cut short)" : "read");
    done += static_cast<size_t>(n);
  }
  return text;
}

tl::unexpected<Error> ScratchFile::failure(std::string_view what) const {
  return fail(ErrorCode::kIo,
              fmt::format("cannot {} '{}': {}", what, path_.string(), std::strerror(errno)));
}

Result<Spooled> read_dump(ByteSource& source, const std::filesystem::path& scratch_dir) {
  auto file = ScratchFile::create(scratch_dir);
  if (!file) return tl::unexpected(file.error());
  auto dump = spool(source, **file);
  if (!dump) {
    dump.error().message += "; the database was not changed";
    return tl::unexpected(dump.error());
  }
  return Spooled{std::move(*file), std::move(*dump)};
}

}  // namespace migrate::mysql

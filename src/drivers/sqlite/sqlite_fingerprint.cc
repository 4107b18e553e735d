// The content fingerprint of a SQLite database: the schema as sqlite_master
// records it (plus user_version and application_id), and every table's
// records as SQLite stores them, in key order (rowid or primary key), read
// from the b-tree pages (sqlite_btree.h): equal content gives equal hashes.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <soci/sqlite3/soci-sqlite3.h>
#include <xxhash.h>

#include <cstring>
#include <memory>
#include <new>

#include "drivers/sqlite/sqlite_btree.h"
#include "drivers/sqlite/sqlite_files.h"
#include "drivers/sqlite/sqlite_snapshot.h"
#include "util/crypto.h"

namespace migrate::sqlite {
namespace {

using namespace sqlite_api;

// Feeds the hash in large pieces: one EVP update per value would dominate.
class BufferedHash {
 public:
  void add(const void* data, size_t size) {
    buffer_.append(static_cast<const char*>(data), size);
    if (buffer_.size() >= kFlushAt) flush();
  }
  void add_tagged(char tag, const void* data, std::uint64_t size) {
    buffer_ += tag;
    add(&size, sizeof size);
    add(data, size);
  }
  std::string finish() {
    flush();
    return hash_.finish_hex();
  }

 private:
  static constexpr size_t kFlushAt = 1 << 16;
  void flush() {
    hash_.update(buffer_);
    buffer_.clear();
  }
  Sha256 hash_;
  std::string buffer_;
};

struct Statement {
  sqlite3_stmt* stmt = nullptr;
  ~Statement() { sqlite3_finalize(stmt); }
};

Result<void> prepare(sqlite3* db, const std::string& sql, Statement& st) {
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st.stmt, nullptr) != SQLITE_OK)
    return fail(ErrorCode::kSql,
                fmt::format("cannot fingerprint database: {}", sqlite3_errmsg(db)));
  return {};
}

void hash_value(sqlite3_stmt* stmt, int column, BufferedHash& hash) {
  switch (sqlite3_column_type(stmt, column)) {
    case SQLITE_INTEGER: {
      sqlite3_int64 v = sqlite3_column_int64(stmt, column);
      hash.add_tagged('i', &v, sizeof v);
      break;
    }
    case SQLITE_FLOAT: {
      double v = sqlite3_column_double(stmt, column);
      hash.add_tagged('f', &v, sizeof v);
      break;
    }
    case SQLITE_TEXT:
      hash.add_tagged('t', sqlite3_column_text(stmt, column), sqlite3_column_bytes(stmt, column));
      break;
    case SQLITE_BLOB:
      hash.add_tagged('b', sqlite3_column_blob(stmt, column), sqlite3_column_bytes(stmt, column));
      break;
    default:
      hash.add_tagged('n', "", 0);
  }
}

// Hashes each record as stored: its rowid, its size and its bytes. With
// XXH3-128, not SHA-256: this hash shows that a restore is complete and
// exact, while the artifact's SHA-256 (and the encryption's tags) guard
// against tampering; at tens of GB/s it keeps the fingerprint, which reads
// every record, off the critical path of backups and restores.
class RecordHash final : public RecordVisitor {
 public:
  RecordHash() : state_(XXH3_createState()) {
    if (!state_) throw std::bad_alloc();
    XXH3_128bits_reset(state_.get());
  }
  void begin_record(std::int64_t rowid, std::uint64_t size) override {
    const std::uint64_t head[2] = {static_cast<std::uint64_t>(rowid), size};
    XXH3_128bits_update(state_.get(), head, sizeof head);
  }
  void add_bytes(std::string_view bytes) override {
    XXH3_128bits_update(state_.get(), bytes.data(), bytes.size());
  }
  std::string finish() {
    XXH128_canonical_t digest;
    XXH128_canonicalFromHash(&digest, XXH3_128bits_digest(state_.get()));
    return fmt::format("{:02x}", fmt::join(digest.digest, ""));
  }

 private:
  struct Free {
    void operator()(XXH3_state_t* state) const { XXH3_freeState(state); }
  };
  std::unique_ptr<XXH3_state_t, Free> state_;
};

Result<std::int64_t> pragma_int(sqlite3* db, const char* sql) {
  Statement st;
  if (auto r = prepare(db, sql, st); !r) return tl::unexpected(r.error());
  if (sqlite3_step(st.stmt) != SQLITE_ROW)
    return fail(ErrorCode::kSql,
                fmt::format("cannot fingerprint database: {}", sqlite3_errmsg(db)));
  return sqlite3_column_int64(st.stmt, 0);
}

// Recent commits of a WAL database live in its -wal file, which the page
// reader does not see: move them into the main file first.
Result<void> checkpoint_if_wal(sqlite3* db) {
  Statement mode;
  if (auto r = prepare(db, "PRAGMA journal_mode", mode); !r) return r;
  if (sqlite3_step(mode.stmt) != SQLITE_ROW ||
      std::strcmp(reinterpret_cast<const char*>(sqlite3_column_text(mode.stmt, 0)), "wal") != 0)
    return {};
  Statement checkpoint;
  if (auto r = prepare(db, "PRAGMA wal_checkpoint(TRUNCATE)", checkpoint); !r) return r;
  if (sqlite3_step(checkpoint.stmt) != SQLITE_ROW || sqlite3_column_int(checkpoint.stmt, 0) != 0 ||
      sqlite3_column_int(checkpoint.stmt, 1) != sqlite3_column_int(checkpoint.stmt, 2))
    return fail(ErrorCode::kLock,
                "cannot fingerprint the database: another connection keeps its WAL from being "
                "checkpointed",
                "retry when the application is idle");
  return {};
}

// Holds a read transaction (unless the caller already has one), so that the
// schema and the pages come from one state of the file.
class ReadTransaction {
 public:
  explicit ReadTransaction(sqlite3* db) : db_(db), own_(sqlite3_get_autocommit(db)) {
    if (own_) sqlite3_exec(db_, "BEGIN", nullptr, nullptr, nullptr);
  }
  ~ReadTransaction() {
    if (own_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  ReadTransaction(const ReadTransaction&) = delete;
  ReadTransaction& operator=(const ReadTransaction&) = delete;

 private:
  sqlite3* db_;
  bool own_;
};

struct Table {
  std::string name;
  std::uint32_t root_page = 0;
};

// Reads the schema (hashing it) and lists the tables that have a b-tree.
Result<std::vector<Table>> read_schema(sqlite3* db, std::string& schema_sha256) {
  Statement schema;
  if (auto r =
          prepare(db,
                  "SELECT type, name, tbl_name, coalesce(sql, ''), rootpage FROM sqlite_master "
                  "ORDER BY type, name",
                  schema);
      !r)
    return tl::unexpected(r.error());
  BufferedHash hash;
  std::vector<Table> tables;
  int rc;
  while ((rc = sqlite3_step(schema.stmt)) == SQLITE_ROW) {
    for (int c = 0; c < 4; ++c) hash_value(schema.stmt, c, hash);
    std::string type = reinterpret_cast<const char*>(sqlite3_column_text(schema.stmt, 0));
    auto root = sqlite3_column_int64(schema.stmt, 4);
    // Virtual tables have no b-tree of their own (their shadow tables do).
    if (type == "table" && root > 0)
      tables.push_back({reinterpret_cast<const char*>(sqlite3_column_text(schema.stmt, 1)),
                        static_cast<std::uint32_t>(root)});
  }
  if (rc != SQLITE_DONE)
    return fail(ErrorCode::kSql, fmt::format("cannot read the schema: {}", sqlite3_errmsg(db)));
  // Applications version their own data with these two header fields.
  for (const char* pragma : {"PRAGMA user_version", "PRAGMA application_id"}) {
    auto value = pragma_int(db, pragma);
    if (!value) return tl::unexpected(value.error());
    hash.add_tagged('p', &*value, sizeof *value);
  }
  schema_sha256 = hash.finish();
  return tables;
}

Result<BtreeReader> open_reader(sqlite3* db) {
  sqlite3_file* file = nullptr;
  if (sqlite3_file_control(db, "main", SQLITE_FCNTL_FILE_POINTER, &file) != SQLITE_OK || !file ||
      !file->pMethods)
    return fail(ErrorCode::kUnsupported, "cannot fingerprint an in-memory SQLite database");
  auto page_size = pragma_int(db, "PRAGMA page_size");
  if (!page_size) return tl::unexpected(page_size.error());
  auto page_count = pragma_int(db, "PRAGMA page_count");
  if (!page_count) return tl::unexpected(page_count.error());
  // Byte 20 of the header: space reserved at the end of every page (by extensions).
  unsigned char header[100] = {};
  if (*page_count > 0 && file->pMethods->xRead(file, header, sizeof header, 0) != SQLITE_OK)
    return fail(ErrorCode::kIo, "cannot read the database header");
  auto size = static_cast<std::uint32_t>(*page_size);
  return BtreeReader(file, size, size - header[20], static_cast<std::uint32_t>(*page_count),
                     map_file_now(db));
}

}  // namespace

Result<ContentFingerprint> fingerprint(sqlite3* db) {
  if (auto r = checkpoint_if_wal(db); !r) return tl::unexpected(r.error());
  enable_memory_map(db);
  ReadTransaction transaction(db);
  ContentFingerprint result;
  result.table_hash = "xxh3-128";
  auto tables = read_schema(db, result.schema_sha256);  // its first read takes the shared lock
  if (!tables) return tl::unexpected(tables.error());
  auto reader = open_reader(db);
  if (!reader) return tl::unexpected(reader.error());
  for (const auto& table : *tables) {  // already in name order
    RecordHash hash;
    auto rows = reader->walk(table.root_page, hash);
    if (!rows) {
      rows.error().message += fmt::format(" (table '{}')", table.name);
      return tl::unexpected(rows.error());
    }
    result.tables.push_back({table.name, *rows, hash.finish()});
  }
  return result;
}

Result<std::uint64_t> database_size(sqlite3* db) {
  Statement st;
  if (auto r = prepare(
          db, "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()", st);
      !r)
    return tl::unexpected(r.error());
  if (sqlite3_step(st.stmt) != SQLITE_ROW)
    return fail(ErrorCode::kSql,
                fmt::format("cannot measure the database: {}", sqlite3_errmsg(db)));
  return static_cast<std::uint64_t>(sqlite3_column_int64(st.stmt, 0));
}

}  // namespace migrate::sqlite

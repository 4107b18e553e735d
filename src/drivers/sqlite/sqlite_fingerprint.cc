// The content fingerprint of a SQLite database: the schema as sqlite_master
// records it, and every table's rows with their types, in storage order
// (rowid or primary key order, so equal content gives equal hashes).
#include <soci/sqlite3/soci-sqlite3.h>

#include <cstring>

#include <fmt/format.h>

#include "backup/checksum.h"
#include "drivers/sqlite/sqlite_snapshot.h"

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
    return fail(ErrorCode::kSql, fmt::format("cannot fingerprint database: {}", sqlite3_errmsg(db)));
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

std::string quote(const std::string& name) {
  std::string q = "\"";
  for (char c : name) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

Result<TableSummary> table_summary(sqlite3* db, const std::string& table) {
  Statement st;
  if (auto r = prepare(db, "SELECT * FROM " + quote(table), st); !r) return tl::unexpected(r.error());
  TableSummary summary{table, 0, {}};
  BufferedHash hash;
  int columns = sqlite3_column_count(st.stmt);
  int rc;
  while ((rc = sqlite3_step(st.stmt)) == SQLITE_ROW) {
    for (int c = 0; c < columns; ++c) hash_value(st.stmt, c, hash);
    ++summary.rows;
  }
  if (rc != SQLITE_DONE)
    return fail(ErrorCode::kSql, fmt::format("cannot read table '{}': {}", table, sqlite3_errmsg(db)));
  summary.sha256 = hash.finish();
  return summary;
}

}  // namespace

Result<ContentFingerprint> fingerprint(sqlite3* db) {
  ContentFingerprint result;
  Statement schema;
  if (auto r = prepare(db, "SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_master ORDER BY type, name",
                       schema);
      !r)
    return tl::unexpected(r.error());
  BufferedHash schema_hash;
  std::vector<std::string> tables;
  int rc;
  while ((rc = sqlite3_step(schema.stmt)) == SQLITE_ROW) {
    for (int c = 0; c < 4; ++c) hash_value(schema.stmt, c, schema_hash);
    std::string type = reinterpret_cast<const char*>(sqlite3_column_text(schema.stmt, 0));
    if (type == "table") tables.push_back(reinterpret_cast<const char*>(sqlite3_column_text(schema.stmt, 1)));
  }
  if (rc != SQLITE_DONE)
    return fail(ErrorCode::kSql, fmt::format("cannot read the schema: {}", sqlite3_errmsg(db)));
  result.schema_sha256 = schema_hash.finish();
  for (const auto& table : tables) {  // already in name order
    auto summary = table_summary(db, table);
    if (!summary) return tl::unexpected(summary.error());
    result.tables.push_back(std::move(*summary));
  }
  return result;
}

Result<std::uint64_t> database_size(sqlite3* db) {
  Statement st;
  if (auto r = prepare(db, "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()", st); !r)
    return tl::unexpected(r.error());
  if (sqlite3_step(st.stmt) != SQLITE_ROW)
    return fail(ErrorCode::kSql, fmt::format("cannot measure the database: {}", sqlite3_errmsg(db)));
  return static_cast<std::uint64_t>(sqlite3_column_int64(st.stmt, 0));
}

}  // namespace migrate::sqlite

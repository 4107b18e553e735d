#include "drivers/mysql/mysql_catalog.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <tuple>

#include "util/crypto.h"

namespace migrate::mysql {
namespace {

// The SHOW CREATE statement for an object kind of information_schema.
std::string show_create(const std::string& kind, const std::string& name) {
  return fmt::format("SHOW CREATE {} {}", kind, quote_identifier(name));
}

// The columns of a SHOW CREATE result from `first`, but `skip` (-1: none),
// joined: the statement and the settings it runs with.
Result<std::string> shown(st_mysql* conn, const std::string& sql, size_t first, int skip = -1) {
  auto rows = query(conn, sql, "read the catalog");
  if (!rows) return tl::unexpected(rows.error());
  if (rows->empty()) return fail(ErrorCode::kSql, fmt::format("'{}' returned nothing", sql));
  std::string text;
  const Row& row = rows->front();
  for (size_t i = first; i < row.size(); ++i) {
    if (static_cast<int>(i) == skip) continue;
    text += row[i].value_or("NULL");
    text += '\0';
  }
  return text;
}

// Cuts " AUTO_INCREMENT=<n>" out of the table options (the last line of
// SHOW CREATE TABLE) and returns <n>, or "" when there is none.
std::string cut_auto_increment(std::string& definition) {
  constexpr std::string_view kOption = " AUTO_INCREMENT=";
  size_t options = definition.rfind("\n)");
  size_t at = definition.find(kOption, options == std::string::npos ? 0 : options);
  if (at == std::string::npos) return "";
  size_t end = at + kOption.size();
  while (end < definition.size() && std::isdigit(static_cast<unsigned char>(definition[end])))
    ++end;
  std::string value = definition.substr(at + kOption.size(), end - at - kOption.size());
  definition.erase(at, end - at);
  return value;
}

void cut_database_name(std::string& text, const std::string& qualifier) {
  for (size_t at = text.find(qualifier); at != std::string::npos; at = text.find(qualifier, at))
    text.erase(at, qualifier.size());
}

Result<void> read_tables(st_mysql* conn, Catalog& catalog) {
  auto rows = query(conn,
                    "SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES WHERE "
                    "TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME",
                    "list the database's tables");
  if (!rows) return tl::unexpected(rows.error());
  for (const auto& row : *rows) {
    std::string name = row[0].value_or(""), type = row[1].value_or("");
    CatalogEntry entry{type == "VIEW"       ? "VIEW"
                       : type == "SEQUENCE" ? "SEQUENCE"
                                            : "TABLE",
                       name, "", ""};
    auto text = entry.kind == "VIEW" ? shown(conn, show_create("VIEW", name), 1)
                                     : shown(conn, show_create("TABLE", name), 1);
    if (!text) return tl::unexpected(text.error());
    entry.definition = std::move(*text);
    if (entry.kind == "TABLE") {
      entry.counter = cut_auto_increment(entry.definition);
      catalog.tables.push_back(name);
    } else if (entry.kind == "SEQUENCE") {
      auto next = query(conn, "SELECT next_not_cached_value FROM " + quote_identifier(name),
                        "read a sequence's position");
      if (!next) return tl::unexpected(next.error());
      if (!next->empty()) entry.counter = next->front()[0].value_or("");
    }
    catalog.entries.push_back(std::move(entry));
  }
  return {};
}

// Routines, triggers and events: `list` gives kind, name and a sort key.
Result<void> read_programs(st_mysql* conn, Catalog& catalog, const std::string& list,
                           int skip_column) {
  auto rows = query(conn, list, "list the database's routines, triggers and events");
  if (!rows) return tl::unexpected(rows.error());
  for (const auto& row : *rows) {
    std::string kind = row[0].value_or(""), name = row[1].value_or("");
    auto text = shown(conn, show_create(kind, name), 1, skip_column);
    if (!text) return tl::unexpected(text.error());
    // A trigger's place among its table's triggers matters too.
    catalog.entries.push_back(
        CatalogEntry{kind, name, row[2].value_or("") + '\0' + std::move(*text), ""});
  }
  return {};
}

}  // namespace

Result<Catalog> read_catalog(st_mysql* conn) {
  auto schema = query(conn,
                      "SELECT SCHEMA_NAME, DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME "
                      "FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = DATABASE()",
                      "read the database's character set");
  if (!schema) return tl::unexpected(schema.error());
  if (schema->empty()) return fail(ErrorCode::kUsage, "the database url names no database");
  const Row& db = schema->front();
  Catalog catalog;
  catalog.entries.push_back(
      CatalogEntry{"DATABASE", "", db[1].value_or("") + '\0' + db[2].value_or(""), ""});
  if (auto r = read_tables(conn, catalog); !r) return tl::unexpected(r.error());
  // SHOW CREATE TRIGGER's last column is when it was created: left out.
  if (auto r = read_programs(conn, catalog,
                             "SELECT ROUTINE_TYPE, ROUTINE_NAME, '' FROM "
                             "information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE()",
                             -1);
      !r)
    return tl::unexpected(r.error());
  if (auto r = read_programs(conn, catalog,
                             "SELECT 'TRIGGER', TRIGGER_NAME, CONCAT(EVENT_OBJECT_TABLE, ' ', "
                             "ACTION_TIMING, ' ', EVENT_MANIPULATION, ' ', ACTION_ORDER) FROM "
                             "information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()",
                             6);
      !r)
    return tl::unexpected(r.error());
  if (auto r = read_programs(conn, catalog,
                             "SELECT 'EVENT', EVENT_NAME, '' FROM information_schema.EVENTS "
                             "WHERE EVENT_SCHEMA = DATABASE()",
                             -1);
      !r)
    return tl::unexpected(r.error());
  std::string qualifier = quote_identifier(db[0].value_or("")) + ".";
  for (auto& entry : catalog.entries) cut_database_name(entry.definition, qualifier);
  std::sort(catalog.entries.begin(), catalog.entries.end(),
            [](const CatalogEntry& a, const CatalogEntry& b) {
              return std::tie(a.kind, a.name) < std::tie(b.kind, b.name);
            });
  return catalog;
}

bool same_definitions(const Catalog& a, const Catalog& b) {
  return std::equal(a.entries.begin(), a.entries.end(), b.entries.begin(), b.entries.end(),
                    [](const CatalogEntry& x, const CatalogEntry& y) {
                      return x.kind == y.kind && x.name == y.name && x.definition == y.definition;
                    });
}

std::string catalog_sha256(const Catalog& catalog, const CounterSource& counter) {
  Sha256 hash;
  for (const auto& entry : catalog.entries) {
    std::string value = counter ? counter(entry).value_or("") : entry.counter;
    hash.update(fmt::format("{}\n{}\n{}\ncounter {}\n", entry.kind, entry.name,
                            std::string_view(entry.definition), value));
  }
  return hash.finish_hex();
}

}  // namespace migrate::mysql

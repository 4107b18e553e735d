#include "migrate/fingerprint.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "util/crypto.h"

namespace migrate {

std::string ContentFingerprint::combined_sha256() const {
  Sha256 hash;
  hash.update("schema:" + schema_sha256 + "\n");
  for (const auto& table : tables)
    hash.update(fmt::format("table:{}:{}:{}\n", table.name, table.rows, table.hash));
  return hash.finish_hex();
}

namespace {

// An algorithm's name as a manifest gave it, unless it holds what no name
// does: an edited manifest's control characters would forge output lines.
std::string algorithm_name(const std::string& name) {
  bool plain =
      !name.empty() && name.size() <= 32 && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '+' || c == '_';
      });
  return plain ? name : "an algorithm this migrate does not know";
}

}  // namespace

std::string describe_difference(const ContentFingerprint& expected,
                                const ContentFingerprint& actual) {
  if (expected.table_hash != actual.table_hash)
    return fmt::format(
        "the backup's fingerprint hashes tables with {} and this migrate with {}, so they cannot "
        "be compared (the backup was made by another version of migrate)",
        algorithm_name(expected.table_hash), algorithm_name(actual.table_hash));
  if (expected.schema_sha256 != actual.schema_sha256) return "the schema differs";
  std::map<std::string, const TableSummary*> found;
  for (const auto& t : actual.tables) found[t.name] = &t;
  for (const auto& t : expected.tables) {
    auto it = found.find(t.name);
    if (it == found.end()) return fmt::format("table '{}' is missing", t.name);
    if (it->second->rows != t.rows)
      return fmt::format("table '{}' has {} rows instead of {}", t.name, it->second->rows, t.rows);
    if (it->second->hash != t.hash) return fmt::format("the content of table '{}' differs", t.name);
    found.erase(it);
  }
  if (!found.empty()) return fmt::format("table '{}' should not exist", found.begin()->first);
  return "";
}

}  // namespace migrate

#include "faults/sqlite_world.h"

#include <fmt/format.h>

#include <cstdio>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "support/sqlite_db.h"

namespace migrate::testing {
namespace {

namespace fs = std::filesystem;

std::string sha256_of(const fs::path& path) {
  std::string command = "sha256sum '" + path.string() + "'";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return "";
  char digest[65] = {};
  size_t n = std::fread(digest, 1, 64, pipe);
  ::pclose(pipe);
  return std::string(digest, n);
}

std::string problem_of_manifest(const fs::path& store, const fs::path& manifest) {
  nlohmann::json m;
  try {
    m = nlohmann::json::parse(read_text(manifest));
  } catch (const std::exception& e) {
    return manifest.filename().string() + " does not parse: " + e.what();
  }
  fs::path artifact = store / m.at("artifact").get<std::string>();
  std::error_code ec;
  auto size = fs::file_size(artifact, ec);
  if (ec) return manifest.filename().string() + ": artifact missing";
  if (size != m.at("artifact_size").get<std::uint64_t>())
    return manifest.filename().string() + ": artifact size differs";
  if (sha256_of(artifact) != m.at("artifact_sha256").get<std::string>())
    return manifest.filename().string() + ": artifact SHA-256 differs";
  return "";
}

// A value as the dump shows it: long ones (the payload) by size and hash.
std::string printable(const std::string& value) {
  if (value.size() <= 64) return value;
  return std::to_string(value.size()) + " bytes #" +
         std::to_string(std::hash<std::string>{}(value));
}

// Incompressible megabytes, the same in every world, so that artifacts and
// restores take several writes and states compare across worlds.
const std::string& payload_hex(int row) {
  static const std::vector<std::string> rows = [] {
    std::mt19937 bytes(11);
    std::vector<std::string> hex(2);
    for (auto& text : hex)
      for (int i = 0; i < (1 << 20); ++i) text += fmt::format("{:02x}", bytes() & 0xff);
    return hex;
  }();
  return rows.at(static_cast<size_t>(row));
}

bool is_leftover(const std::string& name) {
  return name.find(".tmp-") != std::string::npos || name.ends_with(".pending") ||
         name.starts_with(".migrate-scratch-") || name.ends_with("-journal") ||
         name.ends_with("-wal");
}

}  // namespace

SqliteWorld::SqliteWorld() {
  exec(database(),
       "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT);"
       "INSERT INTO items (name) VALUES ('one'), ('two'), ('three');"
       "CREATE TABLE payload (id INTEGER PRIMARY KEY, data BLOB);");
  for (int row = 0; row < 2; ++row)
    exec(database(), "INSERT INTO payload (data) VALUES (X'" + payload_hex(row) + "');");
  dir_.write("migrations/20260101000000_notes.sql",
             "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);\n"
             "INSERT INTO notes (body) VALUES ('hello');\n");
  dir_.write("migrations/20260101000000_notes_rollback.sql", "DROP TABLE notes;\n");
}

void SqliteWorld::change_data() const {
  exec(database(), "DELETE FROM items WHERE id = 1; INSERT INTO items (name) VALUES ('four');");
}

std::string SqliteWorld::dump() const {
  std::ostringstream out;
  for (const auto& row : query(database(),
                               "SELECT name, sql FROM sqlite_master WHERE name NOT LIKE "
                               "'sqlite_%' ORDER BY name")) {
    out << row[1] << ";\n";
    if (row[0] == "schema_migrations") {
      for (const auto& r : query(database(), "SELECT version FROM schema_migrations ORDER BY 1"))
        out << "  version " << r[0] << "\n";
    } else if (row[1].starts_with("CREATE TABLE")) {
      for (const auto& r : query(database(), "SELECT * FROM \"" + row[0] + "\" ORDER BY 1")) {
        out << " ";
        for (const auto& v : r) out << " " << printable(v);
        out << "\n";
      }
    }
  }
  return out.str();
}

std::string SqliteWorld::store_problem(std::size_t& backups) const {
  backups = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(store(), ec)) {
    std::string name = entry.path().filename().string();
    if (!name.ends_with(".json") || name.starts_with(".")) continue;
    ++backups;
    if (auto problem = problem_of_manifest(store(), entry.path()); !problem.empty()) return problem;
  }
  return "";
}

std::string SqliteWorld::leftovers() const {
  std::string found;
  for (const auto& dir : {dir_.path(), store()}) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      std::string name = entry.path().filename().string();
      if (is_leftover(name)) found += (found.empty() ? "" : ", ") + name;
    }
  }
  return found;
}

}  // namespace migrate::testing

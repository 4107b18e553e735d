#include "drivers/mysql/mysql_dump_format.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include "util/crypto.h"
#include "util/strings.h"

namespace migrate::mysql {
namespace {

constexpr std::string_view kInsert = "INSERT INTO `";

bool starts_with_nocase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i)
    if (std::toupper(static_cast<unsigned char>(text[i])) != prefix[i]) return false;
  return true;
}

// The name in backticks at the start of `text` (`` is a backtick).
std::string_view quoted_name(std::string_view text, std::string& storage) {
  storage.clear();
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '`') {
      storage += text[i];
    } else if (i + 1 < text.size() && text[i + 1] == '`') {
      storage += '`';
      ++i;
    } else {
      break;
    }
  }
  return storage;
}

}  // namespace

Result<void> DumpReader::feed(std::string_view chunk) {
  if (!partial_.empty()) {
    const void* end = std::memchr(chunk.data(), '\n', chunk.size());
    if (!end) {
      partial_.append(chunk);
      return {};
    }
    size_t n = static_cast<size_t>(static_cast<const char*>(end) - chunk.data());
    partial_.append(chunk.substr(0, n));
    std::string whole = std::move(partial_);
    partial_.clear();
    if (auto r = line(whole); !r) return r;
    chunk.remove_prefix(n + 1);
  }
  for (;;) {
    const void* end = std::memchr(chunk.data(), '\n', chunk.size());
    if (!end) break;
    size_t n = static_cast<size_t>(static_cast<const char*>(end) - chunk.data());
    if (auto r = line(chunk.substr(0, n)); !r) return r;
    chunk.remove_prefix(n + 1);
  }
  partial_.assign(chunk);
  return {};
}

Result<void> DumpReader::finish() {
  if (!partial_.empty()) {
    std::string last = std::move(partial_);
    partial_.clear();
    if (auto r = line(last); !r) return r;
  }
  return {};
}

Result<void> DumpReader::line(std::string_view text) {
  if (first_line_) {
    // Newer dumps open with a line only the newest clients understand.
    if (text.starts_with("/*M!999999\\- enable the sandbox mode")) return {};
    first_line_ = false;
    header_ok_ = text.starts_with("-- MariaDB dump") || text.starts_with("-- MySQL dump");
  }
  if (in_rows_) return row_line(text);
  if (current_.empty() && quote_ == Quote::kNone) {
    std::string_view trimmed = trim(text);
    if (trimmed.empty()) return {};
    if (trimmed == "--" || trimmed.starts_with("-- ")) {
      if (trimmed.starts_with("-- Dump completed")) complete_ = true;
      constexpr std::string_view kDatabase = "    Database: ";
      if (trimmed.starts_with("-- Host: ") && trimmed.find(kDatabase) != std::string_view::npos)
        database_ = trimmed.substr(trimmed.find(kDatabase) + kDatabase.size());
      return {};
    }
    complete_ = false;  // the marker was not the end after all
    if (starts_with_nocase(trimmed, "DELIMITER ")) {
      delimiter_ = std::string(trim(trimmed.substr(10)));
      return {};
    }
    // mariadb-dump writes "INSERT INTO `t` VALUES" and then one row per
    // line (newlines in values are escaped): no need to look inside them.
    if (delimiter_ == ";" && trimmed.starts_with(kInsert) && trimmed.ends_with("` VALUES")) {
      quoted_name(trimmed.substr(kInsert.size()), rows_table_);
      in_rows_ = true;
      if (delivers_inserts()) current_.assign(trimmed).push_back('\n');
      return {};
    }
  }
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    switch (quote_) {
      case Quote::kSingle:
      case Quote::kDouble:
        if (c == '\\') {
          ++i;
        } else if (c == (quote_ == Quote::kSingle ? '\'' : '"')) {
          quote_ = Quote::kNone;
        }
        continue;
      case Quote::kBacktick:
        if (c == '`') quote_ = Quote::kNone;
        continue;
      case Quote::kComment:
        if (c == '*' && i + 1 < text.size() && text[i + 1] == '/') {
          quote_ = Quote::kNone;
          ++i;
        }
        continue;
      case Quote::kNone:
        break;
    }
    if (c == '\'') {
      quote_ = Quote::kSingle;
    } else if (c == '"') {
      quote_ = Quote::kDouble;
    } else if (c == '`') {
      quote_ = Quote::kBacktick;
    } else if (c == '/' && i + 1 < text.size() && text[i + 1] == '*' &&
               !(i + 2 < text.size() && (text[i + 2] == '!' || text[i + 2] == 'M'))) {
      quote_ = Quote::kComment;  // /*! ... */ is SQL for the server: read it as such
      ++i;
    } else if (c == '#' || (c == '-' && text.substr(i).starts_with("-- "))) {
      break;  // the rest of the line is a comment
    } else if (c == delimiter_[0] && text.substr(i).starts_with(delimiter_)) {
      current_.append(text.substr(start, i - start));
      if (auto r = emit(); !r) return r;
      i += delimiter_.size() - 1;
      start = i + 1;
    }
  }
  // Inside a statement every line counts, blank ones too: a routine's body
  // or a string literal must come back byte for byte.
  if (!current_.empty() || (start < text.size() && !trim(text.substr(start)).empty())) {
    current_.append(text.substr(start));
    current_ += '\n';
  }
  return {};
}

Result<void> DumpReader::row_line(std::string_view text) {
  bool last = text.ends_with(");");
  if (text.size() < 3 || text.front() != '(' || !(last || text.ends_with("),"))) {
    return fail(
        ErrorCode::kGeneral,
        fmt::format("unexpected line among the rows of table '{}' in the dump", rows_table_));
  }
  if (rows_) rows_(rows_table_, text.substr(1, text.size() - 3));
  if (!delivers_inserts()) {
    in_rows_ = !last;
    return {};
  }
  current_.append(text.substr(0, last ? text.size() - 1 : text.size()));
  if (!last) {
    current_ += '\n';
    return {};
  }
  in_rows_ = false;
  std::string statement = std::move(current_);
  current_.clear();
  return handler_(DumpStatement{DumpStatement::Kind::kRows, statement, rows_table_});
}

Result<void> DumpReader::emit() {
  std::string text = std::move(current_);
  current_.clear();
  std::string_view trimmed = trim(text);
  if (trimmed.empty() || !handler_) return {};
  DumpStatement statement{DumpStatement::Kind::kSchema, trimmed, {}};
  std::string name;
  if (trimmed.starts_with(kInsert)) {
    statement.kind = DumpStatement::Kind::kRows;
    statement.table = quoted_name(trimmed.substr(kInsert.size()), name);
    size_t values = trimmed.find("VALUES", kInsert.size() + name.size());
    if (rows_ && values != std::string_view::npos) {
      for_each_tuple(trimmed.substr(values),
                     [&](std::string_view tuple) { rows_(statement.table, tuple); });
    }
    if (inserts_ == Inserts::kSkip) return {};
  }
  return handler_(statement);
}

void for_each_tuple(std::string_view values, const std::function<void(std::string_view)>& row) {
  size_t i = values.find('(');
  while (i != std::string_view::npos && i < values.size()) {
    size_t start = ++i;
    char quote = 0;
    for (; i < values.size(); ++i) {
      char c = values[i];
      if (quote) {
        if (c == '\\')
          ++i;
        else if (c == quote)
          quote = 0;
      } else if (c == '\'' || c == '"') {
        quote = c;
      } else if (c == ')') {
        break;
      }
    }
    if (i >= values.size()) return;  // cut short: not a row
    row(values.substr(start, i - start));
    i = values.find('(', i + 1);
  }
}

void DumpFingerprint::add_row(std::string_view table, std::string_view tuple) {
  if (!last_rows_ || table != last_table_) {  // the first table may be named ""
    last_table_ = table;
    last_rows_ = &tables_[last_table_];
  }
  last_rows_->add(tuple);
}

namespace {

// The digits at the start of `text`.
std::string_view leading_number(std::string_view text) {
  size_t n = 0;
  while (n < text.size() && std::isdigit(static_cast<unsigned char>(text[n]))) ++n;
  return text.substr(0, n);
}

}  // namespace

void DumpFingerprint::add(const DumpStatement& statement) {
  if (statement.kind == DumpStatement::Kind::kRows) return;
  std::string_view text = statement.text;
  std::string name;
  for (std::string_view prefix : {"CREATE TABLE `", "DO SETVAL(`", "SELECT SETVAL(`"}) {
    if (!text.starts_with(prefix)) continue;
    quoted_name(text.substr(prefix.size()), name);
    std::string value;
    if (prefix == "CREATE TABLE `") {
      constexpr std::string_view kOption = " AUTO_INCREMENT=";
      size_t options = text.rfind("\n)");
      size_t at = text.find(kOption, options == std::string_view::npos ? 0 : options);
      if (at != std::string_view::npos) value = leading_number(text.substr(at + kOption.size()));
    } else {
      size_t comma = text.find(", ", prefix.size() + name.size());
      if (comma != std::string_view::npos) value = leading_number(text.substr(comma + 2));
    }
    counters_[name] = value;
  }
}

std::optional<std::string> DumpFingerprint::counter(const std::string& name) const {
  auto it = counters_.find(name);
  if (it == counters_.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

void DumpFingerprint::merge_rows(const DumpFingerprint& other) {
  for (const auto& [name, rows] : other.tables_) tables_[name].merge(rows);
  last_rows_ = nullptr;
  last_table_.clear();
}

ContentFingerprint DumpFingerprint::finish(std::string schema_sha256,
                                           const std::vector<std::string>& tables) {
  ContentFingerprint result;
  // Rows are SHA-256 as before; the schema is now read from the catalog, so
  // a fingerprint of an older backup is not compared as if it were alike.
  result.table_hash = "sha256+catalog";
  result.schema_sha256 = std::move(schema_sha256);
  for (const auto& name : tables) tables_.try_emplace(name);
  for (const auto& [name, rows] : tables_)
    result.tables.push_back(TableSummary{name, rows.rows(), sha256_hex(rows.text())});
  return result;  // std::map: sorted by name
}

}  // namespace migrate::mysql

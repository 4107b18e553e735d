// pg_dump's plain format, as far as a backup relies on it: the lines a
// restore must see or filter, and the positions its sequences are set to.
#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cctype>
#include <cstring>

#include "drivers/postgres/pg_tools.h"

namespace migrate::postgres {

// pg_dump's plain format, as far as a backup relies on it.

void DumpScanner::scan(std::string_view chunk, std::string* filtered) {
  if (!partial_.empty()) {
    size_t end = chunk.find('\n');
    if (end == std::string_view::npos) {
      partial_.append(chunk);
      return;
    }
    partial_.append(chunk.substr(0, end));
    line(partial_, filtered);
    partial_.clear();
    chunk.remove_prefix(end + 1);
  }
  for (;;) {
    const void* found = std::memchr(chunk.data(), '\n', chunk.size());
    if (!found) break;
    size_t end = static_cast<size_t>(static_cast<const char*>(found) - chunk.data());
    line(chunk.substr(0, end), filtered);
    chunk.remove_prefix(end + 1);
  }
  partial_.assign(chunk);
}

void DumpScanner::finish(std::string* filtered) {
  if (partial_.empty()) return;
  std::string last = std::move(partial_);
  partial_.clear();
  line(last, filtered);
}

namespace {

constexpr std::string_view kSetval = "SELECT pg_catalog.setval(";

// 'text' with doubled quotes; advances `s` past it.
std::optional<std::string> parse_literal(std::string_view& s) {
  if (s.empty() || s.front() != '\'') return std::nullopt;
  std::string out;
  for (size_t i = 1; i < s.size(); ++i) {
    if (s[i] != '\'') {
      out += s[i];
    } else if (i + 1 < s.size() && s[i + 1] == '\'') {
      out += '\'';
      ++i;
    } else {
      s.remove_prefix(i + 1);
      return out;
    }
  }
  return std::nullopt;
}

// One part of a qualified name: "quoted ""x""" or unquoted.
std::optional<std::string> parse_identifier(std::string_view& s) {
  if (s.empty()) return std::nullopt;
  if (s.front() != '"') {
    size_t end = std::min(s.find_first_of(". "), s.size());
    std::string out(s.substr(0, end));
    s.remove_prefix(end);
    return out;
  }
  std::string out;
  for (size_t i = 1; i < s.size(); ++i) {
    if (s[i] != '"') {
      out += s[i];
    } else if (i + 1 < s.size() && s[i + 1] == '"') {
      out += '"';
      ++i;
    } else {
      s.remove_prefix(i + 1);
      return out;
    }
  }
  return std::nullopt;
}

// SELECT pg_catalog.setval('"public"."users_id_seq"', 42, true);
std::optional<std::pair<std::pair<std::string, std::string>, std::string>> parse_setval(
    std::string_view text) {
  text.remove_prefix(kSetval.size());
  auto literal = parse_literal(text);
  if (!literal) return std::nullopt;
  std::string_view name(*literal);
  auto schema = parse_identifier(name);
  if (!schema || name.empty() || name.front() != '.') return std::nullopt;
  name.remove_prefix(1);
  auto sequence = parse_identifier(name);
  if (!sequence || !name.empty()) return std::nullopt;
  if (!text.starts_with(", ")) return std::nullopt;
  text.remove_prefix(2);
  size_t digits = text.find(',');
  if (digits == std::string_view::npos) return std::nullopt;
  std::string value(text.substr(0, digits));
  text.remove_prefix(digits);
  std::string called;
  if (text == ", true);")
    called = "t";
  else if (text == ", false);")
    called = "f";
  else
    return std::nullopt;
  return std::make_pair(std::make_pair(*schema, *sequence), value + " " + called);
}

// The qualified name that `text` starts with, followed by a space:
// "public"."users" ("id", "email") FROM stdin;
std::optional<std::pair<std::string, std::string>> parse_qualified_name(std::string_view text) {
  auto schema = parse_identifier(text);
  if (!schema || text.empty() || text.front() != '.') return std::nullopt;
  text.remove_prefix(1);
  auto table = parse_identifier(text);
  if (!table || text.empty() || text.front() != ' ') return std::nullopt;
  return std::make_pair(*schema, *table);
}

constexpr std::string_view kCopyEnd = " FROM stdin;";
// pg_dump's header comments: "-- Name: t c; Type: FK CONSTRAINT; ...",
// "-- Data for Name: t; Type: TABLE DATA; ...".
constexpr std::string_view kObjectHeader = "-- Name: ";
constexpr std::string_view kDataHeader = "-- Data for Name: ";
constexpr std::string_view kForeignKeyType = "; Type: FK CONSTRAINT;";
constexpr std::string_view kTableDataType = "; Type: TABLE DATA;";
// Put in front of a statement, on its line: line numbers in errors stay the dump's.
constexpr std::string_view kHashJoinsOff = "SET LOCAL enable_hashjoin = off; ";
constexpr std::string_view kHashJoinsBack = "SET LOCAL enable_hashjoin TO DEFAULT; ";
constexpr std::string_view kCreateTable = "CREATE TABLE ";
constexpr std::string_view kCreateUnloggedTable = "CREATE UNLOGGED TABLE ";

bool is_blobs_header(std::string_view text) {
  return text.starts_with("-- Data for Name: ") &&
         (text.find("; Type: BLOBS;") != std::string_view::npos ||
          text.find("; Type: LARGE OBJECTS;") != std::string_view::npos);
}

}  // namespace

void DumpScanner::line(std::string_view text, std::string* filtered) {
  ++lines_;
  auto emit = [&] {
    if (!filtered) return;
    filtered->append(text);
    filtered->push_back('\n');
  };
  if (lines_ <= 2) {
    header_ok_ = lines_ == 1 ? text == "--" : header_ok_ && text == "-- PostgreSQL database dump";
  }
  if (in_copy_) {
    if (text == "\\.") in_copy_ = false;
    return emit();
  }
  if (complete_ && !(text.empty() || text == "--" || text.starts_with("\\unrestrict ")))
    complete_ = false;  // the marker was not the end after all
  // Tuning touches only the first line of a statement right after one of
  // pg_dump's object headers, never a line inside a routine's body.
  Header object = Header::kNone;
  if (tuned_ && (text.starts_with(kObjectHeader) || text.starts_with(kDataHeader))) {
    header_ = text.find(kForeignKeyType) != std::string_view::npos  ? Header::kForeignKey
              : text.find(kTableDataType) != std::string_view::npos ? Header::kTableData
                                                                    : Header::kOther;
  } else if (tuned_ && !text.empty() && text != "--") {
    object = header_;
    header_ = Header::kNone;
  }
  if (object != Header::kNone && filtered) {
    bool foreign_key = object == Header::kForeignKey && text.starts_with("ALTER TABLE ");
    if (foreign_key != hash_joins_off_)
      filtered->append(foreign_key ? kHashJoinsOff : kHashJoinsBack);
    hash_joins_off_ = foreign_key;
  }
  if (object != Header::kNone &&
      (text.starts_with(kCreateTable) || text.starts_with(kCreateUnloggedTable))) {
    auto name = text.substr(text[7] == 'T' ? kCreateTable.size() : kCreateUnloggedTable.size());
    if (auto table = parse_qualified_name(name)) created_.insert(std::move(*table));
  }
  if (text.starts_with("COPY ") && text.ends_with(kCopyEnd)) {
    in_copy_ = true;
    auto table = tuned_ ? parse_qualified_name(text.substr(5)) : std::nullopt;
    if (table && object == Header::kTableData && filtered && created_.contains(*table)) {
      filtered->append(text.substr(0, text.size() - kCopyEnd.size()));
      filtered->append(" FROM stdin WITH (FREEZE);\n");
      return;
    }
  } else if (text == "-- PostgreSQL database dump complete") {
    complete_ = true;
  } else if (is_blobs_header(text)) {
    blobs_next_ = true;
  } else if (text == "BEGIN;" && blobs_next_) {
    blobs_next_ = false;
    in_blobs_ = true;
    if (filtered) return;
  } else if (text == "COMMIT;" && in_blobs_) {
    in_blobs_ = false;
    if (filtered) return;
  } else if (text.starts_with(kSetval)) {
    if (auto parsed = parse_setval(text)) sequences_[parsed->first] = parsed->second;
  } else if (!text.empty() && text != "--") {
    blobs_next_ = false;
  }
  emit();
}

}  // namespace migrate::postgres

// Splitting a batch of the dump into statements as the server does
// (postgres_dump_guard.h). The server parses a whole query string before it
// runs any of it, so a batch it would split differently from here fails to
// parse and changes nothing; what must match is only where the server ends
// a statement that parses.
#include "drivers/postgres/postgres_dump_guard.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <string>
#include <vector>

namespace migrate::postgres {

namespace {

bool ident_start(char c) {
  auto u = static_cast<unsigned char>(c);
  return std::isalpha(u) || c == '_' || u >= 0x80;
}
bool ident_char(char c) {
  return ident_start(c) || std::isdigit(static_cast<unsigned char>(c)) || c == '$';
}

// The first keywords of a statement pg_dump writes.
constexpr std::array<std::string_view, 10> kAllowed = {"SET",      "SELECT", "CREATE", "ALTER",
                                                       "COMMENT",  "GRANT",  "REVOKE", "COPY",
                                                       "SECURITY", "REFRESH"};

struct Statement {
  std::vector<std::string> words;    // the first few, upper case; "\"" for a quoted name
  size_t start = 0, end = 0;         // offsets in the batch
  size_t first = std::string::npos;  // of its first token
};

// Why `s` is refused, or empty.
std::string refusal(const Statement& s, std::string_view text) {
  if (s.words.empty()) return "";
  // (Not `i < size ? s.words[i] : ""`: that makes a temporary std::string,
  // and the view would outlive it.)
  auto word = [&](size_t i) -> std::string_view {
    if (i < s.words.size()) return s.words[i];
    return {};
  };
  if (std::find(kAllowed.begin(), kAllowed.end(), word(0)) == kAllowed.end())
    return fmt::format("a statement starting with {}", word(0) == "\"" ? "a quoted name" : word(0));
  size_t set = word(1) == "LOCAL" ? 2 : 1;  // SET [LOCAL] TRANSACTION | SESSION ...
  if (word(0) == "SET" && (word(set) == "TRANSACTION" || word(set) == "SESSION"))
    return fmt::format("SET {}", word(set));
  if ((word(0) == "CREATE" || word(0) == "ALTER") &&
      (word(1) == "DATABASE" || word(1) == "TABLESPACE" || word(1) == "SYSTEM"))
    return fmt::format("{} {}", word(0), word(1));
  if (word(0) == "COPY") {
    auto body = text.substr(s.start, s.end - s.start);
    while (!body.empty() && std::isspace(static_cast<unsigned char>(body.back())))
      body.remove_suffix(1);
    if (!body.ends_with(" FROM stdin") && !body.ends_with(" FROM stdin WITH (FREEZE)"))
      return "a COPY other than COPY ... FROM stdin";
  }
  return "";
}

class Splitter {
 public:
  Splitter(std::string_view sql, bool standard_strings) : sql_(sql), standard_(standard_strings) {}

  // Calls `each` with every statement; stops at the first that returns false.
  template <typename F>
  void split(F each) {
    Statement current;
    current.start = 0;
    std::string previous;  // the word just before, for BEGIN ATOMIC
    int parens = 0, atomic = 0;
    bool routine = false;  // CREATE [OR REPLACE] FUNCTION|PROCEDURE
    while (i_ < sql_.size()) {
      char c = sql_[i_];
      bool comment = (c == '-' && next() == '-') || (c == '/' && next() == '*');
      if (!comment && current.first == std::string::npos &&
          !std::isspace(static_cast<unsigned char>(c)))
        current.first = i_;
      if (c == '-' && next() == '-') {
        skip_line_comment();
      } else if (c == '/' && next() == '*') {
        skip_block_comment();
      } else if (c == '\'') {
        skip_string(!standard_);
        previous.clear();
      } else if (c == '"') {
        skip_quoted('"');
        note(current, "\"");
        previous.clear();
      } else if (c == '$' && !std::isdigit(static_cast<unsigned char>(next()))) {
        skip_dollar();
        previous.clear();
      } else if (ident_start(c)) {
        size_t from = i_;
        while (i_ < sql_.size() && ident_char(sql_[i_])) ++i_;
        std::string word(sql_.substr(from, i_ - from));
        for (auto& ch : word) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
        if (word == "E" && i_ < sql_.size() && sql_[i_] == '\'') {
          skip_string(true);
          previous.clear();
          continue;
        }
        note(current, word);
        const auto& w = current.words;
        routine = routine || (w.size() >= 2 && w[0] == "CREATE" &&
                              (w[1] == "FUNCTION" || w[1] == "PROCEDURE" ||
                               (w.size() >= 4 && w[1] == "OR" && w[2] == "REPLACE" &&
                                (w[3] == "FUNCTION" || w[3] == "PROCEDURE"))));
        if (atomic > 0 && (word == "CASE")) ++atomic;
        if (atomic > 0 && word == "END") --atomic;
        if (routine && atomic == 0 && parens == 0 && previous == "BEGIN" && word == "ATOMIC")
          atomic = 1;
        previous = std::move(word);
      } else {
        if (c == '(') ++parens;
        if (c == ')' && parens > 0) --parens;
        if (c == ';' && parens == 0 && atomic == 0) {
          current.end = i_;
          if (!each(current)) return;
          current = Statement{};
          current.start = i_ + 1;
          routine = false;
        }
        if (!std::isspace(static_cast<unsigned char>(c))) previous.clear();
        ++i_;
      }
    }
    current.end = sql_.size();
    each(current);
  }

 private:
  char next() const { return i_ + 1 < sql_.size() ? sql_[i_ + 1] : '\0'; }
  static void note(Statement& s, std::string word) {
    if (s.words.size() < 4) s.words.push_back(std::move(word));
  }
  void skip_line_comment() {
    size_t end = sql_.find('\n', i_);
    i_ = end == std::string_view::npos ? sql_.size() : end + 1;
  }
  void skip_block_comment() {
    int depth = 0;
    while (i_ < sql_.size()) {
      if (sql_[i_] == '/' && next() == '*') {
        ++depth;
        i_ += 2;
      } else if (sql_[i_] == '*' && next() == '/') {
        i_ += 2;
        if (--depth == 0) return;
      } else {
        ++i_;
      }
    }
  }
  // '...' with '' inside; with `backslashes`, \x escapes too.
  void skip_string(bool backslashes) {
    ++i_;
    while (i_ < sql_.size()) {
      char c = sql_[i_];
      if (backslashes && c == '\\') {
        i_ += 2;
      } else if (c == '\'') {
        if (next() != '\'') {
          ++i_;
          return;
        }
        i_ += 2;
      } else {
        ++i_;
      }
    }
  }
  void skip_quoted(char quote) {
    ++i_;
    while (i_ < sql_.size()) {
      if (sql_[i_] == quote) {
        if (next() != quote) {
          ++i_;
          return;
        }
        ++i_;
      }
      ++i_;
    }
  }
  // $tag$...$tag$; a lone $ is an operator character.
  void skip_dollar() {
    size_t end = i_ + 1;
    if (end < sql_.size() && ident_start(sql_[end])) {
      while (end < sql_.size() && ident_char(sql_[end]) && sql_[end] != '$') ++end;
    }
    if (end >= sql_.size() || sql_[end] != '$') {
      ++i_;
      return;
    }
    std::string_view tag = sql_.substr(i_, end + 1 - i_);
    size_t close = sql_.find(tag, end + 1);
    i_ = close == std::string_view::npos ? sql_.size() : close + tag.size();
  }

  std::string_view sql_;
  bool standard_;
  size_t i_ = 0;
};

}  // namespace

Result<void> check_dump_statements(std::string_view sql, bool standard_strings,
                                   std::uint64_t first_line) {
  std::string reason;
  size_t at = 0;
  Splitter(sql, standard_strings).split([&](const Statement& s) {
    reason = refusal(s, sql);
    at = std::min(s.first, s.end);
    return reason.empty();
  });
  if (reason.empty()) return {};
  auto line =
      first_line + static_cast<std::uint64_t>(std::count(sql.begin(), sql.begin() + at, '\n'));
  return fail(ErrorCode::kRefused,
              fmt::format("the backup is not a pg_dump the restore can trust: line {} of the dump "
                          "holds {}, which pg_dump does not write",
                          line, reason),
              "restore another backup; this one was altered");
}

std::vector<size_t> statement_offsets(std::string_view sql, bool standard_strings) {
  std::vector<size_t> offsets;
  Splitter(sql, standard_strings).split([&](const Statement& s) {
    if (s.first != std::string::npos && s.first < s.end) offsets.push_back(s.first);
    return true;
  });
  return offsets;
}

}  // namespace migrate::postgres

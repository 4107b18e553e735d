#include "migrate/transaction_rules.h"

#include <cctype>
#include <string_view>
#include <vector>

namespace migrate {
namespace {

// The first few words of a statement, upper-cased, comments skipped.
std::vector<std::string> leading_words(std::string_view text, size_t count) {
  std::vector<std::string> words;
  size_t i = 0;
  while (i < text.size() && words.size() < count) {
    char c = text[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (text.substr(i, 2) == "--" || c == '#') {
      i = text.find('\n', i);
      if (i == std::string_view::npos) break;
    } else if (text.substr(i, 2) == "/*") {
      i = text.find("*/", i + 2);
      if (i == std::string_view::npos) break;
      i += 2;
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      std::string word;
      while (i < text.size() &&
             (std::isalnum(static_cast<unsigned char>(text[i])) || text[i] == '_'))
        word += static_cast<char>(std::toupper(static_cast<unsigned char>(text[i++])));
      words.push_back(word);
    } else {
      break;  // punctuation: the keywords we look for come before any
    }
  }
  return words;
}

bool starts_with(const std::vector<std::string>& words, std::initializer_list<const char*> prefix) {
  size_t i = 0;
  for (const char* p : prefix) {
    if (i >= words.size() || words[i] != p) return false;
    ++i;
  }
  return true;
}

bool contains(const std::vector<std::string>& words, const char* word) {
  for (const auto& w : words)
    if (w == word) return true;
  return false;
}

std::optional<std::string> conflict_reason(const std::vector<std::string>& w, SqlDialect dialect) {
  if (w.empty()) return std::nullopt;
  const std::string& first = w[0];
  bool savepoint_rollback = first == "ROLLBACK" && contains(w, "TO");
  if ((first == "BEGIN" && dialect != SqlDialect::kMysql) || first == "COMMIT" || first == "END" ||
      (first == "ROLLBACK" && !savepoint_rollback) || starts_with(w, {"START", "TRANSACTION"})) {
    return first + " controls the transaction that migrate wraps around each migration";
  }
  if (first == "VACUUM") return std::string("VACUUM cannot run inside a transaction");
  if (dialect != SqlDialect::kPostgres) return std::nullopt;
  if ((first == "CREATE" || first == "DROP" || first == "REINDEX") && contains(w, "CONCURRENTLY"))
    return first + " ... CONCURRENTLY cannot run inside a transaction";
  if (starts_with(w, {"CREATE", "DATABASE"}) || starts_with(w, {"DROP", "DATABASE"}) ||
      starts_with(w, {"CREATE", "TABLESPACE"}) || starts_with(w, {"DROP", "TABLESPACE"}) ||
      starts_with(w, {"ALTER", "SYSTEM"}) || starts_with(w, {"REINDEX", "DATABASE"}) ||
      starts_with(w, {"REINDEX", "SYSTEM"})) {
    return w[0] + " " + w[1] + " cannot run inside a transaction";
  }
  return std::nullopt;
}

}  // namespace

std::optional<TransactionConflict> find_transaction_conflict(const SqlScript& script,
                                                             SqlDialect dialect) {
  if (script.no_transaction) return std::nullopt;
  for (const auto& statement : script.statements) {
    if (auto reason = conflict_reason(leading_words(statement.text, 6), dialect))
      return TransactionConflict{statement, *reason};
  }
  return std::nullopt;
}

}  // namespace migrate

#include "engine/step_runner.h"

#include <fmt/format.h>

#include <chrono>

namespace migrate {
namespace {

// The statement's first line, shortened, for error messages.
std::string excerpt(const std::string& text) {
  std::string first = text.substr(0, text.find('\n'));
  constexpr size_t kMax = 100;
  if (first.size() > kMax)
    first = first.substr(0, kMax) + "...";
  else if (first.size() < text.size())
    first += " ...";
  return first;
}

}  // namespace

Result<void> execute_script(Driver& driver, const LoadedScript& script) {
  for (const auto& statement : script.script.statements) {
    auto r = driver.execute(statement);
    if (!r) {
      return fail(ErrorCode::kSql,
                  fmt::format("{}: line {}: {}\n  statement: {}", script.file_name(),
                              statement.line, r.error().message, excerpt(statement.text)));
    }
  }
  return {};
}

Result<std::int64_t> run_step(Driver& driver, const LoadedScript& script, Transactions transactions,
                              const std::function<Result<void>(std::int64_t)>& record) {
  bool own_transaction =
      transactions == Transactions::kPerMigration && !script.script.no_transaction;
  auto started = std::chrono::steady_clock::now();
  if (own_transaction) {
    if (auto r = driver.begin(); !r) return tl::unexpected(r.error());
  }
  auto result = execute_script(driver, script);
  auto duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::steady_clock::now() - started)
                         .count();
  if (result) result = record(duration_ms);
  if (result && own_transaction) result = driver.commit();
  if (!result) {
    if (own_transaction) (void)driver.rollback();
    if (script.script.no_transaction) {
      result.error().message +=
          "\n  the file ran without a transaction (-- migrate:no-transaction): statements "
          "before the failing one stay applied";
    }
    return tl::unexpected(result.error());
  }
  return duration_ms;
}

}  // namespace migrate

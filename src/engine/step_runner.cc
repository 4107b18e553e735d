#include "engine/step_runner.h"

#include <fmt/format.h>

#include <chrono>

#include "engine/interrupt.h"

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

Error statement_error(const LoadedScript& script, const Statement& statement, const Error& error) {
  return Error{ErrorCode::kSql,
               fmt::format("{}: line {}: {}\n  statement: {}", script.file_name(), statement.line,
                           error.message, excerpt(statement.text)),
               {}};
}

}  // namespace

Result<void> check_interrupt(const LoadedScript& script, std::string_view before) {
  if (int signal = interrupt_signal(); signal != 0)
    return fail(ErrorCode::kGeneral, fmt::format("{}: {} before {}", script.file_name(),
                                                 interrupt_message(signal), before));
  return {};
}

Result<BatchTimes> execute_batch(MigrationFace& driver,
                                 std::span<const LoadedScript* const> scripts) {
  std::vector<const SqlScript*> statements;
  statements.reserve(scripts.size());
  for (const LoadedScript* script : scripts) statements.push_back(&script->script);
  auto finished = driver.execute_batch(statements);
  if (finished) return std::move(*finished);
  const LoadedScript& failed = *scripts[finished.error().script];
  return tl::unexpected(statement_error(
      failed, failed.script.statements[finished.error().statement], finished.error().error));
}

Result<void> execute_script(MigrationFace& driver, const LoadedScript& script) {
  for (const auto& statement : script.script.statements) {
    if (auto stop = check_interrupt(script, "its next statement"); !stop) return stop;
    auto r = driver.execute(statement);
    if (!r) return tl::unexpected(statement_error(script, statement, r.error()));
  }
  return {};
}

Result<std::int64_t> run_step(MigrationFace& driver, const LoadedScript& script,
                              Transactions transactions,
                              const std::function<Result<void>(std::int64_t)>& record,
                              AfterFailure after_failure) {
  bool own_transaction =
      transactions == Transactions::kPerMigration && !script.script.no_transaction;
  if (auto stop = check_interrupt(script, "its first statement"); !stop)
    return tl::unexpected(stop.error());
  auto started = std::chrono::steady_clock::now();
  if (own_transaction) {
    if (auto r = driver.begin(); !r) return tl::unexpected(r.error());
  }
  // In a transaction that holds DDL, the file's statements go as one batch,
  // and a SIGTERM/SIGINT caught meanwhile rolls it back before the commit.
  // Where statements commit alone (a no-transaction file, or a database
  // that commits DDL implicitly) they run one by one, and a signal stops
  // the file before its next statement.
  Result<void> result;
  if (script.script.no_transaction || !driver.transactional_ddl()) {
    result = execute_script(driver, script);
  } else {
    const LoadedScript* scripts[] = {&script};
    if (auto finished = execute_batch(driver, scripts); !finished)
      result = tl::unexpected(finished.error());
  }
  if (result && own_transaction) result = check_interrupt(script, "its commit");
  auto duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::steady_clock::now() - started)
                         .count();
  if (result) result = record(duration_ms);
  if (result && own_transaction) result = driver.commit();
  if (!result) {
    if (own_transaction) (void)driver.rollback();
    if (script.script.no_transaction && after_failure == AfterFailure::kKept) {
      result.error().message +=
          "\n  the file ran without a transaction (-- migrate:no-transaction): statements "
          "before the failing one stay applied";
    }
    return tl::unexpected(result.error());
  }
  return duration_ms;
}

}  // namespace migrate

// What the engine tests share: a migrations directory in a temporary
// folder, the in-memory FakeDriver, and a backup hook that notes when it was
// called (how far the driver's journal had got) and hands out an id.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "engine/fake_driver.h"
#include "migrate/catalog.h"
#include "migrate/engine.h"
#include "support/temp_dir.h"

namespace migrate::testing {

class NotingHook final : public BackupHook {
 public:
  explicit NotingHook(const FakeDriver& driver) : driver_(driver) {}
  Result<std::optional<std::string>> before_change(std::string_view reason, Driver&) override {
    reasons.emplace_back(reason);
    journal_at_call.push_back(driver_.journal().size());
    if (refuse) return fail(ErrorCode::kIo, "the backup store is full");
    return std::optional<std::string>("backup-" + std::to_string(reasons.size()));
  }

  std::vector<std::string> reasons;
  std::vector<size_t> journal_at_call;  // journal entries before each call
  bool refuse = false;

 private:
  const FakeDriver& driver_;
};

class EngineTest : public ::testing::Test {
 protected:
  // Writes <version>_<name>.sql and, when `down` is given, its rollback file.
  void migration(const std::string& version, const std::string& name, const std::string& up,
                 const std::optional<std::string>& down = std::nullopt) {
    dir_.write("db/" + version + "_" + name + ".sql", up);
    if (down) dir_.write("db/" + version + "_" + name + "_rollback.sql", *down);
  }

  Catalog catalog() {
    auto loaded = load_catalog(dir_.path() / "db");
    EXPECT_TRUE(loaded) << (loaded ? "" : loaded.error().message);
    return loaded ? *loaded : Catalog{};
  }

  Result<RunReport> up(Transactions transactions = Transactions::kPerMigration,
                       Execution execution = Execution::kApply) {
    UpRequest request;
    request.transactions = transactions;
    request.execution = execution;
    return run_up(ctx_, catalog(), request);
  }

  Result<RunReport> rollback(Execution execution = Execution::kApply) {
    RollbackRequest request;
    request.plan = {RollbackScope::kSteps, 1, {}};
    request.execution = execution;
    return run_rollback(ctx_, catalog(), request);
  }

  // Journal entries that are statements, without the "exec " prefix.
  std::vector<std::string> executed() const {
    std::vector<std::string> statements;
    for (const auto& entry : driver_.journal())
      if (entry.starts_with("exec ")) statements.push_back(entry.substr(5));
    return statements;
  }
  size_t journal_count(const std::string& entry) const {
    return static_cast<size_t>(
        std::count(driver_.journal().begin(), driver_.journal().end(), entry));
  }
  // Index of the first journal entry starting with `prefix`, or the size.
  size_t first_index(const std::string& prefix) const {
    const auto& j = driver_.journal();
    for (size_t i = 0; i < j.size(); ++i)
      if (j[i].starts_with(prefix)) return i;
    return j.size();
  }

  TempDir dir_;
  FakeDriver driver_;
  NotingHook hook_{driver_};
  EngineContext ctx_{driver_, hook_, std::chrono::milliseconds(100)};
};

}  // namespace migrate::testing

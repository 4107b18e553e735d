// An in-memory database for the engine's unit tests: the one stand-in for a
// real database the project allows, because it is a database (it keeps what
// committed, forgets what rolled back, and restores from its own snapshots),
// not a script of expected calls.
//
// Its content is the list of statements that took effect plus the tracking
// rows. Transactions save and put back that state; with transactional_ddl
// off (as on MySQL) a statement takes effect even in a transaction that then
// rolls back. Every call is appended to a journal so that tests can check
// what happened in which order, and a statement containing a chosen text can
// be made to fail.
#pragma once

#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "migrate/driver.h"

namespace migrate::testing {

class FakeDriver final : public Driver {
 public:
  // What the database holds: snapshot() writes it, restore() reads it back.
  struct State {
    std::vector<std::string> statements;               // that took effect, in order
    std::map<std::string, AppliedMigration> tracking;  // by version
    bool tracking_table = false;
  };

  // Setup.
  void set_transactional_ddl(bool on) { transactional_ddl_ = on; }
  // execute() fails for any statement whose text contains `text`, with
  // "fake failure: <text>".
  void fail_statements_containing(std::string text) { failing_text_ = std::move(text); }
  // acquire_lock() fails with kLock, as when another runner holds it.
  void hold_lock_elsewhere() { lock_held_elsewhere_ = true; }

  // Inspection.
  const State& state() const { return state_; }
  State& state() { return state_; }
  // "lock", "unlock", "begin", "commit", "rollback", "exec <text>",
  // "record <version>", "remove <version>", "ensure", "snapshot", "restore",
  // "drop all": every call that could change something, in order.
  const std::vector<std::string>& journal() const { return journal_; }
  bool lock_held() const { return lock_held_; }
  bool in_transaction() const { return saved_.has_value(); }
  std::vector<std::string> applied_versions() const;

  // Driver
  std::string_view name() const override { return "fake"; }

  // MigrationFace
  SqlDialect dialect() const override { return SqlDialect::kSqlite; }
  bool transactional_ddl() const override { return transactional_ddl_; }
  std::string server_version() override { return "Fake 1.0"; }
  Result<void> acquire_lock(std::chrono::milliseconds timeout) override;
  void release_lock() override;
  Result<void> ensure_tracking_table() override;
  Result<std::vector<AppliedMigration>> applied_migrations() override;
  Result<void> record_applied(const AppliedMigration& row) override;
  Result<void> remove_applied(std::string_view version) override;
  Result<void> begin() override;
  Result<void> commit() override;
  Result<void> rollback() override;
  Result<void> execute(const Statement& statement) override;
  Result<void> drop_all_objects() override;

  // SnapshotFace
  std::string snapshot_format() const override { return "fake-state"; }
  Result<std::uint64_t> database_size() override;
  Result<SnapshotInfo> snapshot(ByteSink& sink, const std::filesystem::path& scratch_dir) override;
  Result<void> restore(ByteSource& source, const std::filesystem::path& scratch_dir,
                       const ContentFingerprint* expected) override;
  Result<ContentFingerprint> fingerprint() override;
  Result<ContentFingerprint> fingerprint_snapshot(
      ByteSource& source, const std::filesystem::path& scratch_dir) override;

 private:
  State state_;
  std::optional<State> saved_;  // the state at begin(), while a transaction is open
  std::vector<std::string> journal_;
  bool transactional_ddl_ = true;
  std::string failing_text_;
  bool lock_held_ = false;
  bool lock_held_elsewhere_ = false;
};

// The state as text and back: the fake's snapshot format.
std::string serialize(const FakeDriver::State& state);
Result<FakeDriver::State> deserialize(const std::string& text);
ContentFingerprint fingerprint_of(const FakeDriver::State& state);

// Equal when every statement and every tracking row is; printed as the
// serialized text in test failures.
bool operator==(const FakeDriver::State& a, const FakeDriver::State& b);
void PrintTo(const FakeDriver::State& state, std::ostream* out);

}  // namespace migrate::testing

// The fault sweep: `backup`, `restore` and `up` on SQLite, each run with the
// Nth open, write, fsync, rename, mkdir or unlink failing (N = 1, 2, ...
// until the command no longer reaches an Nth call), and with the process
// ending right after the Nth rename or fsync. After every run the
// database is exactly its state before or after the command, every backup
// the store lists verifies, and a retry with the real Env succeeds and
// leaves no temporary files.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdio>
#include <map>
#include <ostream>
#include <string>

#include "faults/fault_run.h"

namespace migrate::testing {
namespace {

using End = FaultRun::End;

struct SweepCase {
  Command command;
  CallKind kind;
  Action action;
  int error;
};

std::string case_name(const SweepCase& c) {
  std::string name = std::string(command_name(c.command)) + "_" + call_kind_name(c.kind) + "_" +
                     (c.action == Action::kCrash ? "crash" : "fails");
  return name;
}

// How gtest shows a case in its output (instead of the struct's bytes).
void PrintTo(const SweepCase& c, std::ostream* out) {
  *out << case_name(c);
}

// What the database holds once `command` has run cleanly from its start.
std::string state_after(Command command) {
  SqliteWorld world;
  std::string before = world.dump();
  if (command == Command::kBackup) return before;
  if (command == Command::kRestore) return before;  // the backup restored is of state A
  auto done = run_command(world, command, "");
  if (!done) throw std::runtime_error(done.error().message);
  return world.dump();
}

class FaultSweep : public ::testing::TestWithParam<SweepCase> {};

// Everything a user would check after the interrupted run and after a retry.
void check_consistent(const SqliteWorld& world, const SweepCase& c, const std::string& id,
                      const std::string& before, const std::string& after, std::size_t n) {
  SCOPED_TRACE("N = " + std::to_string(n));
  std::string now = world.dump();
  EXPECT_TRUE(now == before || now == after) << "the database is neither before nor after:\n"
                                             << now;
  std::size_t backups = 0;
  EXPECT_EQ(world.store_problem(backups), "");

  auto retried = run_command(world, c.command, id);
  ASSERT_TRUE(retried) << "retry: " << retried.error().message;
  EXPECT_EQ(world.dump(), after);
  EXPECT_EQ(world.store_problem(backups), "");
  EXPECT_GE(backups, 1u);
  // A retry that has nothing to do (`up` after a run that applied the
  // migration but failed to remove its backup's marker) does not open the
  // store; the next command that writes a backup cleans up.
  if (!world.leftovers().empty()) {
    ASSERT_TRUE(open_store_for_writing(world));
    EXPECT_EQ(world.leftovers(), "");
  }
}

TEST_P(FaultSweep, EveryPointLeavesAConsistentState) {
  const SweepCase c = GetParam();
  const std::string after = state_after(c.command);
  std::map<End, std::size_t> ends;
  std::size_t n = 1;
  for (;; ++n) {
    ASSERT_LT(n, 500u) << "the sweep does not end";
    SqliteWorld world;
    std::string id = prepare(world, c.command);
    std::string before = world.dump();
    FaultRun run = run_with_fault(world, c.command, id, {c.kind, n, c.action, c.error});
    if (run.end == End::kNotHit) break;
    ASSERT_NE(run.end, End::kDied) << "N = " << n << ": " << run.detail;
    ASSERT_NE(run.end, End::kFailedUnhit) << "N = " << n << ": " << run.detail;
    if (c.action == Action::kFail) {
      EXPECT_NE(run.end, End::kCrashPoint);
    } else {
      EXPECT_EQ(run.end, End::kCrashPoint) << run.detail;
    }
    ++ends[run.end];
    check_consistent(world, c, id, before, after, n);
    if (::testing::Test::HasFatalFailure()) return;
  }
  // The figures for the record (ctest --verbose shows them).
  std::printf("fault sweep %s: %zu points (%zu returned an error, %zu coped, %zu crash points)\n",
              case_name(c).c_str(), n - 1, ends[End::kReturnedError], ends[End::kSucceeded],
              ends[End::kCrashPoint]);
  RecordProperty("points", static_cast<int>(n - 1));
  EXPECT_GT(n, 1u) << "the command never reached the first call";
}

std::vector<SweepCase> all_cases() {
  std::vector<SweepCase> cases;
  for (Command command : {Command::kBackup, Command::kRestore, Command::kUp}) {
    cases.push_back({command, CallKind::kOpen, Action::kFail, EACCES});
    cases.push_back({command, CallKind::kWrite, Action::kFail, ENOSPC});
    cases.push_back({command, CallKind::kFsync, Action::kFail, EIO});
    cases.push_back({command, CallKind::kRename, Action::kFail, EIO});
    cases.push_back({command, CallKind::kMkdir, Action::kFail, ENOSPC});
    cases.push_back({command, CallKind::kUnlink, Action::kFail, EIO});
    cases.push_back({command, CallKind::kRename, Action::kCrash, 0});
    cases.push_back({command, CallKind::kFsync, Action::kCrash, 0});
  }
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Sqlite, FaultSweep, ::testing::ValuesIn(all_cases()),
                         [](const auto& info) { return case_name(info.param); });

}  // namespace
}  // namespace migrate::testing

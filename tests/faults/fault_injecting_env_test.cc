// The fault injector itself: it fails exactly the Nth call of its kind,
// passes every other call through, and ends the process right after the
// planned crash point.
#include "faults/fault_injecting_env.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "support/temp_dir.h"
#include "util/atomic_file.h"
#include "util/files.h"

namespace migrate::testing {
namespace {

TEST(FaultInjectingEnvTest, FailsOnlyTheNthCallOfItsKind) {
  TempDir dir;
  FaultInjectingEnv faulty(Env::Default(), {CallKind::kMkdir, 2, Action::kFail, ENOSPC});
  EXPECT_EQ(faulty.mkdir(dir.path() / "one", 0700), 0);
  EXPECT_FALSE(faulty.hit());
  EXPECT_EQ(faulty.mkdir(dir.path() / "two", 0700), -1);
  EXPECT_EQ(errno, ENOSPC);
  EXPECT_TRUE(faulty.hit());
  EXPECT_EQ(faulty.mkdir(dir.path() / "three", 0700), 0);
  EXPECT_FALSE(path_exists(dir.path() / "two"));
}

TEST(FaultInjectingEnvTest, ACrashPointEndsTheProcessAfterTheCall) {
  TempDir dir;
  auto from = dir.write("from", "x");
  pid_t pid = ::fork();
  if (pid == 0) {
    FaultInjectingEnv faulty(Env::Default(), {CallKind::kRename, 1, Action::kCrash, 0});
    faulty.rename(from, dir.path() / "to");
    ::_exit(0);  // not reached
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), kCrashExitCode);
  EXPECT_TRUE(path_exists(dir.path() / "to"));  // the rename itself happened
}

TEST(FaultInjectingEnvTest, AFullDiskFailsAnAtomicFileAndLeavesNothing) {
  TempDir dir;
  FaultInjectingEnv faulty(Env::Default(), {CallKind::kWrite, 1, Action::kFail, ENOSPC});
  ScopedEnv installed(faulty);
  auto written = write_file_atomically(dir.path() / "file", "content");
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().message,
            "cannot write '" + (dir.path() / ".file.tmp-").string() + std::to_string(::getpid()) +
                "': no space left on device");
  std::vector<std::string> names;
  ASSERT_EQ(env().list(dir.path(), names), 0);
  EXPECT_TRUE(names.empty());
}

TEST(FaultInjectingEnvTest, AFailedFsyncFailsTheCommitAndLeavesNothing) {
  TempDir dir;
  FaultInjectingEnv faulty(Env::Default(), {CallKind::kFsync, 1, Action::kFail, EIO});
  ScopedEnv installed(faulty);
  auto written = write_file_atomically(dir.path() / "file", "content");
  ASSERT_FALSE(written);
  EXPECT_NE(written.error().message.find("cannot sync"), std::string::npos);
  EXPECT_FALSE(path_exists(dir.path() / "file"));
}

TEST(FaultInjectingEnvTest, AFullDiskFailsANewMigrationFileAndRemovesIt) {
  TempDir dir;
  FaultInjectingEnv faulty(Env::Default(), {CallKind::kWrite, 1, Action::kFail, ENOSPC});
  ScopedEnv installed(faulty);
  auto written = write_new_file(dir.path() / "m.sql", "SELECT 1;");
  ASSERT_FALSE(written);
  EXPECT_NE(written.error().message.find("cannot write"), std::string::npos);
  EXPECT_FALSE(path_exists(dir.path() / "m.sql"));
}

}  // namespace
}  // namespace migrate::testing

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

// A file written under a fault fails with a message naming the cause and
// leaves nothing behind.
TEST(FaultInjectingEnvTest, AFailedWriteOrSyncLeavesNoFile) {
  struct Case {
    const char* what;
    Fault fault;
    bool atomic;  // write_file_atomically(), else write_new_file()
    const char* message;
  };
  const Case cases[] = {
      {"full disk, atomic file",
       {CallKind::kWrite, 1, Action::kFail, ENOSPC},
       true,
       "': no space left on device"},
      {"failed fsync, atomic file", {CallKind::kFsync, 1, Action::kFail, EIO}, true, "cannot sync"},
      {"full disk, new migration file",
       {CallKind::kWrite, 1, Action::kFail, ENOSPC},
       false,
       "cannot write"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    TempDir dir;
    FaultInjectingEnv faulty(Env::Default(), c.fault);
    ScopedEnv installed(faulty);
    auto path = dir.path() / "file";
    auto written = c.atomic ? write_file_atomically(path, "content") : write_new_file(path, "x");
    ASSERT_FALSE(written);
    EXPECT_NE(written.error().message.find(c.message), std::string::npos)
        << written.error().message;
    std::vector<std::string> names;
    ASSERT_EQ(env().list(dir.path(), names), 0);
    EXPECT_TRUE(names.empty());
  }
}

}  // namespace
}  // namespace migrate::testing

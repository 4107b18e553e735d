// The POSIX Env and the helpers built on it: each call does what its system
// call does, failures come back as -1 with errno, and ScopedEnv puts the
// previous Env back.
#include "util/env.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "support/temp_dir.h"
#include "util/atomic_file.h"
#include "util/files.h"

namespace migrate {
namespace {

using testing::TempDir;

TEST(EnvTest, ListGivesTheNamesWithoutDotAndDotDot) {
  TempDir dir;
  dir.write("a", "1");
  dir.write("sub/b", "2");
  std::vector<std::string> names;
  ASSERT_EQ(env().list(dir.path(), names), 0);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"a", "sub"}));
}

TEST(EnvTest, ListOfAMissingDirectoryFailsWithErrno) {
  TempDir dir;
  std::vector<std::string> names;
  EXPECT_EQ(env().list(dir.path() / "missing", names), -1);
  EXPECT_EQ(errno, ENOENT);
}

TEST(EnvTest, RenameNoReplaceRefusesAnExistingTarget) {
  TempDir dir;
  auto from = dir.write("from", "new");
  auto to = dir.write("to", "old");
  EXPECT_EQ(env().rename_no_replace(from, to), -1);
  EXPECT_EQ(errno, EEXIST);
  EXPECT_EQ(testing::read_text(to), "old");
  EXPECT_EQ(env().rename(from, to), 0);
  EXPECT_EQ(testing::read_text(to), "new");
}

TEST(EnvTest, SpawnRunsTheChildAndWaitpidReportsItsExit) {
  pid_t pid = env().spawn([](void*) { ::_exit(7); }, nullptr);
  ASSERT_GT(pid, 0);
  int status = 0;
  ASSERT_EQ(env().waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 7);
}

// Fails every fsync: what a test's Env looks like.
class NoSync final : public EnvWrapper {
 public:
  NoSync() : EnvWrapper(Env::Default()) {}
  int fsync(int) override {
    errno = EIO;
    return -1;
  }
};

TEST(EnvTest, ScopedEnvInstallsAndRestores) {
  NoSync no_sync;
  {
    ScopedEnv installed(no_sync);
    EXPECT_EQ(&env(), &no_sync);
  }
  EXPECT_EQ(&env(), &Env::Default());
}

TEST(EnvTest, ADirectorySyncThatFailsIsAnErrorNamingTheDirectory) {
  TempDir dir;
  NoSync no_sync;
  ScopedEnv installed(no_sync);
  auto synced = sync_directory(dir.path());
  ASSERT_FALSE(synced);
  EXPECT_NE(synced.error().message.find("cannot sync directory"), std::string::npos);
}

TEST(FilesTest, MakeDirectoriesCreatesTheMissingParents) {
  TempDir dir;
  make_directories(dir.path() / "a" / "b" / "c");
  EXPECT_TRUE(path_exists(dir.path() / "a" / "b" / "c"));
  make_directories(dir.path() / "a" / "b" / "c");  // already there: nothing to do
  EXPECT_TRUE(path_exists(dir.path() / "a" / "b" / "c"));
}

TEST(FilesTest, RemoveIfPresentIgnoresAMissingFile) {
  TempDir dir;
  auto file = dir.write("f", "x");
  remove_if_present(file);
  EXPECT_FALSE(path_exists(file));
  remove_if_present(file);
  EXPECT_FALSE(path_exists(file));
}

}  // namespace
}  // namespace migrate

// A backup's scratch copies hold the whole database: while they exist they
// are the user's alone (0600), whatever the umask, like the backups.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <vector>

#include "migrate/driver.h"
#include "support/sqlite_db.h"
#include "support/temp_dir.h"

namespace migrate::testing {
namespace {

namespace fs = std::filesystem;

// Records the mode of every file in the scratch directory while the
// snapshot is being written to it.
class ModeSpyingSink : public ByteSink {
 public:
  explicit ModeSpyingSink(fs::path scratch) : scratch_(std::move(scratch)) {}
  Result<void> write(std::string_view) override {
    for (const auto& entry : fs::directory_iterator(scratch_)) {
      struct stat st {};
      ::lstat(entry.path().c_str(), &st);
      modes.push_back(st.st_mode & 0777);
    }
    return {};
  }
  Result<void> finish() override { return {}; }
  std::vector<unsigned> modes;

 private:
  fs::path scratch_;
};

TEST(BackupScratchFileTest, AWalDatabasesScratchSnapshotIsPrivate) {
  TempDir dir;
  fs::path db = dir.path() / "app.db";
  exec(db, "PRAGMA journal_mode = WAL; CREATE TABLE t (x); INSERT INTO t VALUES (1);");
  fs::path scratch = dir.path() / "scratch";
  fs::create_directory(scratch);
  auto url = parse_database_url("sqlite:" + db.string());
  ASSERT_TRUE(url) << url.error().message;
  auto driver = open_driver(*url, {});
  ASSERT_TRUE(driver) << driver.error().message;
  ModeSpyingSink sink(scratch);
  mode_t old_umask = ::umask(022);
  auto info = (*driver)->snapshot(sink, scratch);
  ::umask(old_umask);
  ASSERT_TRUE(info) << info.error().message;
  ASSERT_FALSE(sink.modes.empty()) << "the WAL snapshot went through no scratch file";
  for (unsigned mode : sink.modes) EXPECT_EQ(mode, 0600u);
  EXPECT_TRUE(fs::is_empty(scratch));
}

}  // namespace
}  // namespace migrate::testing

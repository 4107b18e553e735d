#include "util/atomic_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace migrate {
namespace {

namespace fs = std::filesystem;

class AtomicFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "migrate-atomic-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir_)) names.push_back(e.path().filename());
    std::sort(names.begin(), names.end());
    return names;
  }

  fs::path dir_;
};

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

unsigned mode_of(const fs::path& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0);
  return st.st_mode & 07777;
}

TEST_F(AtomicFileTest, CommitMakesTheFileAppearPrivateAndRemovesTheTemporary) {
  auto final_path = dir_ / "backup.sqlite";
  auto file = AtomicFile::create(final_path);
  ASSERT_TRUE(file) << file.error().message;
  EXPECT_EQ((*file)->temporary_path(), dir_ / fmt::format(".backup.sqlite.tmp-{}", ::getpid()));
  ASSERT_TRUE((*file)->write("hello, "));
  ASSERT_TRUE((*file)->write("world"));
  EXPECT_EQ((*file)->bytes_written(), 12u);
  EXPECT_TRUE(fs::exists((*file)->temporary_path()));
  EXPECT_FALSE(fs::exists(final_path));

  auto committed = (*file)->commit();
  ASSERT_TRUE(committed) << committed.error().message;
  EXPECT_EQ(read_text(final_path), "hello, world");
  EXPECT_EQ(mode_of(final_path), 0600u);
  file->reset();
  EXPECT_EQ(entries(), std::vector<std::string>{"backup.sqlite"});
}

TEST_F(AtomicFileTest, WithoutCommitNothingIsLeft) {
  {
    auto file = AtomicFile::create(dir_ / "a");
    ASSERT_TRUE(file);
    ASSERT_TRUE((*file)->write("partial"));
  }
  {
    // Finished but never committed: still discarded.
    auto file = AtomicFile::create(dir_ / "b");
    ASSERT_TRUE(file);
    ASSERT_TRUE((*file)->write("complete"));
    ASSERT_TRUE((*file)->finish());
  }
  EXPECT_TRUE(entries().empty());
}

TEST_F(AtomicFileTest, CommitRefusesToReplaceAnExistingFile) {
  auto final_path = dir_ / "manifest.json";
  std::ofstream(final_path) << "old";
  {
    auto file = AtomicFile::create(final_path);
    ASSERT_TRUE(file);
    ASSERT_TRUE((*file)->write("new"));
    auto committed = (*file)->commit();
    ASSERT_FALSE(committed);
    EXPECT_EQ(committed.error().code, ErrorCode::kIo);
    EXPECT_EQ(committed.error().message,
              fmt::format("cannot create '{}': it already exists", final_path.string()));
  }
  EXPECT_EQ(read_text(final_path), "old");
  EXPECT_EQ(entries(), std::vector<std::string>{"manifest.json"});
}

TEST_F(AtomicFileTest, LargeAndSmallWritesArriveInOrder) {
  std::string expected;
  auto file = AtomicFile::create(dir_ / "big");
  ASSERT_TRUE(file);
  // Sizes around the 1 MiB buffer exercise buffering, flushing and direct writes.
  for (size_t size : {size_t{10}, size_t{1} << 20, size_t{700000}, size_t{3} << 20, size_t{1}}) {
    std::string chunk(size, static_cast<char>('a' + expected.size() % 26));
    expected += chunk;
    ASSERT_TRUE((*file)->write(chunk));
  }
  ASSERT_TRUE((*file)->commit());
  EXPECT_EQ((*file)->bytes_written(), expected.size());
  EXPECT_EQ(read_text(dir_ / "big"), expected);
}

TEST_F(AtomicFileTest, WriteAfterFinishFails) {
  auto file = AtomicFile::create(dir_ / "x");
  ASSERT_TRUE(file);
  ASSERT_TRUE((*file)->finish());
  EXPECT_FALSE((*file)->write("late"));
  ASSERT_TRUE((*file)->commit());
  EXPECT_EQ(read_text(dir_ / "x"), "");
}

TEST_F(AtomicFileTest, CreateFailsInAMissingDirectory) {
  auto file = AtomicFile::create(dir_ / "missing" / "x");
  ASSERT_FALSE(file);
  EXPECT_EQ(file.error().code, ErrorCode::kIo);
  EXPECT_NE(file.error().message.find((dir_ / "missing").string()), std::string::npos);
  EXPECT_NE(file.error().message.find("no such file or directory"), std::string::npos);
}

TEST_F(AtomicFileTest, CreateRefusesAnExistingTemporary) {
  std::ofstream(dir_ / fmt::format(".x.tmp-{}", ::getpid())) << "leftover";
  auto file = AtomicFile::create(dir_ / "x");
  ASSERT_FALSE(file);
  EXPECT_NE(file.error().message.find("already exists"), std::string::npos);
}

TEST_F(AtomicFileTest, WriteFileAtomically) {
  ASSERT_TRUE(write_file_atomically(dir_ / "m.json", "{}\n"));
  EXPECT_EQ(read_text(dir_ / "m.json"), "{}\n");
  EXPECT_EQ(mode_of(dir_ / "m.json"), 0600u);
  EXPECT_FALSE(write_file_atomically(dir_ / "m.json", "other"));
  EXPECT_EQ(read_text(dir_ / "m.json"), "{}\n");
  EXPECT_EQ(entries(), std::vector<std::string>{"m.json"});
}

// /dev/full fails every write with ENOSPC: the full-disk path without a mount.
TEST(WriteAll, ReportsAFullDeviceByPath) {
  int fd = ::open("/dev/full", O_WRONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  auto written = write_all(fd, std::string(4096, 'x'), "/backups/x.sqlite");
  ::close(fd);
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().code, ErrorCode::kIo);
  EXPECT_EQ(written.error().message, "cannot write '/backups/x.sqlite': no space left on device");
}

TEST(WriteAll, ReportsABadDescriptor) {
  auto written = write_all(-1, "x", "f");
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().message, "cannot write 'f': bad file descriptor");
}

TEST(WriteAll, EmptyWriteSucceedsWithoutTouchingTheDescriptor) {
  EXPECT_TRUE(write_all(-1, "", "f"));
}

TEST(IsAtomicTemporary, RecognisesOnlyTheTemporaryShape) {
  const std::pair<const char*, long> cases[] = {
      {".backup.sqlite.tmp-123", 123},
      {".a.tmp-1", 1},
      {".20261122T143052Z_x.json.tmp-4194304", 4194304},
      {".a.tmp-1.tmp-77", 77},
      {"a.tmp-1", 0},             // no leading dot
      {".tmp-1", 0},              // no name
      {"..tmp-1", 0},             // no name
      {".a.tmp-", 0},             // no pid
      {".a.tmp-12x", 0},          // not digits
      {".a.tmp-0", 0},            // not a pid
      {".a.tmp--1", 0},           // not a pid
      {".a.tmp-12345678901", 0},  // too long for a pid
      {".a.tmp-1-journal", 0},
      {"", 0},
  };
  for (const auto& [name, pid] : cases) {
    EXPECT_EQ(atomic_temporary_pid(name), pid) << name;
    EXPECT_EQ(is_atomic_temporary(name), pid != 0) << name;
  }
}

TEST(SyncDirectory, FailsForAMissingDirectory) {
  auto synced = sync_directory("/nonexistent-migrate-dir");
  ASSERT_FALSE(synced);
  EXPECT_EQ(synced.error().code, ErrorCode::kIo);
  EXPECT_NE(synced.error().message.find("/nonexistent-migrate-dir"), std::string::npos);
}

}  // namespace
}  // namespace migrate

#include "backup/store.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "backup/database_identity.h"
#include "util/crypto.h"

namespace migrate {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono;

class BackupStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "migrate-store-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
    dir_ = root_ / "backups";
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  void write(const std::string& name, const std::string& content) const {
    std::ofstream(dir_ / name, std::ios::binary) << content;
  }

  // Commits a complete backup with `id` through the store, as a backup would.
  Manifest add_backup(const BackupStore& store, const std::string& id,
                      const std::string& created_at = "2026-01-01T00:00:00.000Z") const {
    Manifest m;
    m.id = id;
    m.label = id.substr(17);
    m.reason = "backup";
    m.created_at = created_at;
    m.tool_version = "0.1.0";
    m.driver = "sqlite";
    m.format = "sqlite-database";
    m.compression = "none";
    m.encryption = "none";
    m.artifact = id + ".sqlite";
    std::string content = "snapshot of " + id;
    m.artifact_size = content.size();
    m.artifact_sha256 = sha256_hex(content);
    m.database_size = content.size();
    m.fingerprint.schema_sha256 = sha256_hex("schema");
    write(m.artifact, content);
    auto committed = store.commit_manifest(m);
    EXPECT_TRUE(committed) << committed.error().message;
    return m;
  }

  std::vector<std::string> files() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir_))
      if (e.path().filename() != ".lock")
        names.push_back(e.path().filename());  // the store's own lock
    std::sort(names.begin(), names.end());
    return names;
  }

  fs::path root_;
  fs::path dir_;
};

unsigned mode_of(const fs::path& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0);
  return st.st_mode & 07777;
}

std::vector<std::string> ids_of(const std::vector<Manifest>& backups) {
  std::vector<std::string> ids;
  for (const auto& m : backups) ids.push_back(m.id);
  return ids;
}

TEST_F(BackupStoreTest, OpenCreatesAPrivateDirectory) {
  dir_ = root_ / "deep" / "backups";
  auto store = BackupStore::open(dir_);
  ASSERT_TRUE(store) << store.error().message;
  EXPECT_EQ(store->dir(), dir_);
  EXPECT_EQ(mode_of(dir_), 0700u);
  EXPECT_TRUE(store->removed_leftovers().empty());
}

TEST_F(BackupStoreTest, OpenRefusesADirectoryOtherUsersCanEnterAndLeavesItsModeAlone) {
  fs::create_directory(dir_);
  for (unsigned mode : {0755u, 01777u, 0710u}) {
    ::chmod(dir_.c_str(), mode);
    for (auto access : {StoreAccess::kReadOnly, StoreAccess::kReadWrite}) {
      auto store = BackupStore::open(dir_, access);
      ASSERT_FALSE(store) << std::oct << mode;
      EXPECT_EQ(store.error().code, ErrorCode::kRefused);
      EXPECT_EQ(store.error().message,
                fmt::format("backup directory '{}' is open to other users (mode {:04o})",
                            dir_.string(), mode));
      EXPECT_NE(store.error().hint.find("chmod 700 " + dir_.string()), std::string::npos);
      EXPECT_EQ(mode_of(dir_), mode);
    }
  }
  ::chmod(dir_.c_str(), 01700);  // only its owner can enter: fine, sticky or not
  EXPECT_TRUE(BackupStore::open(dir_));
  EXPECT_EQ(mode_of(dir_), 01700u);
}

TEST_F(BackupStoreTest, OpenRefusesAnotherUsersDirectory) {
  fs::create_directory(dir_, root_);
  ::chmod(dir_.c_str(), 0700);
  ASSERT_EQ(::chown(dir_.c_str(), 65534, 65534), 0) << "the tests run as root";
  auto store = BackupStore::open(dir_, StoreAccess::kReadOnly);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, ErrorCode::kRefused);
  EXPECT_NE(store.error().message.find("backup directory '" + dir_.string() + "' is owned by "),
            std::string::npos)
      << store.error().message;
  EXPECT_NE(store.error().message.find("(uid 65534), not by you"), std::string::npos);
}

TEST_F(BackupStoreTest, ReadOnlyOpenCreatesAndDeletesNothing) {
  auto missing = BackupStore::open(dir_, StoreAccess::kReadOnly);
  ASSERT_TRUE(missing) << missing.error().message;
  EXPECT_FALSE(fs::exists(dir_));
  auto listing = missing->list();
  ASSERT_TRUE(listing);
  EXPECT_TRUE(listing->backups.empty());
  EXPECT_EQ(missing->resolve("latest").error().message, "no backup matches 'latest'");

  fs::create_directory(dir_);
  ::chmod(dir_.c_str(), 0700);
  write(".migrate-20260102T000000Z_x.sqlite.tmp-99999999", "x");
  auto store = BackupStore::open(dir_, StoreAccess::kReadOnly);
  ASSERT_TRUE(store);
  EXPECT_TRUE(store->removed_leftovers().empty());
  EXPECT_EQ(files(), std::vector<std::string>{".migrate-20260102T000000Z_x.sqlite.tmp-99999999"});
}

TEST_F(BackupStoreTest, OpenRefusesAFile) {
  std::ofstream(dir_) << "not a directory";
  auto store = BackupStore::open(dir_);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, ErrorCode::kIo);
  EXPECT_NE(store.error().message.find("is not a directory"), std::string::npos);
}

TEST_F(BackupStoreTest, OpenRemovesItsOwnLeftoversAndNothingElse) {
  {
    auto store = BackupStore::open(dir_);
    ASSERT_TRUE(store);
    add_backup(*store, "20260101T000000Z_kept");
  }
  // No pid reaches 99999999 (pid_max is at most 2^22); pid 1 always runs.
  const std::string dead = "99999999";
  const std::vector<std::string> leftovers = {
      ".migrate-20260102T000000Z_x.sqlite.tmp-" + dead,                    // crashed artifact write
      fmt::format(".migrate-20260102T000000Z_y.json.tmp-{}", ::getpid()),  // same pid, earlier run
      ".migrate-20260103T000000Z_v1.2.pending",  // marker of a crashed backup ...
      "20260103T000000Z_v1.2.sqlite.zst",        // ... and the artifact it names
      ".migrate-20260101T000000Z_kept.pending",  // a completed backup's marker
  };
  write(".migrate-20260103T000000Z_v1.2.pending", dead + " 20260103T000000Z_v1.2.sqlite.zst\n");
  write(".migrate-20260101T000000Z_kept.pending", dead + " 20260101T000000Z_kept.sqlite\n");
  const std::vector<std::string> unrelated = {
      "notes.txt", "README.json", ".hidden", "20260103T000000Z", "20260103T000000Z_x.",
      // Files named like the store's, but without its marks: another
      // program's, or an older migrate's; never deleted.
      "20260103T000000Z_orphan.sqlite.zst", ".20260102T000000Z_x.sqlite.tmp-" + dead,
      ".app.db.tmp-" + dead, ".big.tmp-9999999999",
      ".migrate-notes.txt.tmp-" + dead,               // not a backup's file
      ".migrate-20260104T000000Z_live.sqlite.tmp-1",  // a running writer's
      ".migrate-20260105T000000Z_live.pending",       // ... and its marker
      "20260105T000000Z_live.sqlite",
      ".migrate-20260106T000000Z_odd.pending",  // names no artifact of its id
      "20260104T000000Z_damaged.json",
      "20260104T000000Z_damaged.sqlite",  // damaged backup
      "20260107T000000Z_next.json",
      "20260107T000000Z_next.dump.zst",  // a newer format's backup
  };
  for (const auto& name : leftovers)
    if (!fs::exists(dir_ / name)) write(name, "x");
  for (const auto& name : unrelated) write(name, "{not json");
  write(".migrate-20260105T000000Z_live.pending", "1 20260105T000000Z_live.sqlite\n");
  write(".migrate-20260106T000000Z_odd.pending", dead + " notes.txt\n");
  fs::create_directory(dir_ / "20260106T000000Z_dir.sqlite");

  auto store = BackupStore::open(dir_);
  ASSERT_TRUE(store) << store.error().message;
  // The marker that names no artifact of its id goes, the file it names stays.
  auto removed = leftovers;
  removed.push_back(".migrate-20260106T000000Z_odd.pending");
  std::sort(removed.begin(), removed.end());
  EXPECT_EQ(store->removed_leftovers(), removed);
  std::vector<std::string> expected = unrelated;
  std::erase(expected, ".migrate-20260106T000000Z_odd.pending");
  expected.insert(expected.end(), {"20260101T000000Z_kept.json", "20260101T000000Z_kept.sqlite",
                                   "20260106T000000Z_dir.sqlite"});
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(files(), expected);
}

TEST_F(BackupStoreTest, AnotherUsersFilesAreNeverLeftovers) {
  ASSERT_TRUE(BackupStore::open(dir_));
  // Named with the store's marks, but planted by another user.
  write(".migrate-20260101T000000Z_x.pending", "99999999 20260101T000000Z_x.sqlite\n");
  write(".migrate-20260101T000000Z_y.sqlite.tmp-99999999", "x");
  for (const char* name :
       {".migrate-20260101T000000Z_x.pending", ".migrate-20260101T000000Z_y.sqlite.tmp-99999999"})
    ASSERT_EQ(::chown((dir_ / name).c_str(), 65534, 65534), 0);
  write("20260101T000000Z_x.sqlite", "mine");
  auto store = BackupStore::open(dir_);
  ASSERT_TRUE(store);
  EXPECT_TRUE(store->removed_leftovers().empty());
  EXPECT_EQ(files(), (std::vector<std::string>{".migrate-20260101T000000Z_x.pending",
                                               ".migrate-20260101T000000Z_y.sqlite.tmp-99999999",
                                               "20260101T000000Z_x.sqlite"}));
}

TEST_F(BackupStoreTest, ScratchDirectoriesOfGoneProcessesAreLeftovers) {
  auto store = BackupStore::open(dir_);
  ASSERT_TRUE(store);
  {
    auto scratch = store->scratch_dir();
    ASSERT_TRUE(scratch) << scratch.error().message;
    EXPECT_EQ(scratch->path(), dir_ / fmt::format(".migrate-scratch-{}", ::getpid()));
    EXPECT_EQ(mode_of(scratch->path()), 0700u);
  }
  EXPECT_TRUE(files().empty());  // left empty, so removed
  EXPECT_FALSE(fs::exists(dir_ / fmt::format(".migrate-scratch-{}", ::getpid())));

  // A killed process's scratch directory, and a running one's (pid 1).
  fs::create_directories(dir_ / ".migrate-scratch-99999999");
  fs::create_directories(dir_ / ".migrate-scratch-1");
  std::ofstream(dir_ / ".migrate-scratch-99999999/.restore.sqlite.tmp-99999999-journal") << "x";
  std::ofstream(dir_ / ".migrate-scratch-1/.restore.sqlite.tmp-1") << "x";
  fs::create_directories(dir_ / ".migrate-scratch-99999998");
  std::ofstream(dir_ / ".migrate-scratch-99999998/notes.txt") << "not a scratch file";
  auto again = BackupStore::open(dir_);
  ASSERT_TRUE(again);
  EXPECT_EQ(
      again->removed_leftovers(),
      (std::vector<std::string>{".migrate-scratch-99999999",
                                ".migrate-scratch-99999999/.restore.sqlite.tmp-99999999-journal"}));
  EXPECT_TRUE(fs::exists(dir_ / ".migrate-scratch-1/.restore.sqlite.tmp-1"));
  EXPECT_TRUE(fs::exists(dir_ / ".migrate-scratch-99999998/notes.txt"));
}

TEST_F(BackupStoreTest, LeavesEverythingAloneWhileAWriterHoldsTheStore) {
  ASSERT_TRUE(BackupStore::open(dir_));
  write(".migrate-20260103T000000Z_in-progress.pending",
        "99999999 20260103T000000Z_in-progress.sqlite.zst\n");
  write("20260103T000000Z_in-progress.sqlite.zst", "artifact whose manifest is being written");
  const std::vector<std::string> in_progress = {".migrate-20260103T000000Z_in-progress.pending",
                                                "20260103T000000Z_in-progress.sqlite.zst"};
  {
    auto writing = StoreLock::acquire(dir_);
    ASSERT_TRUE(writing) << writing.error().message;
    auto store = BackupStore::open(dir_);
    ASSERT_TRUE(store);
    EXPECT_TRUE(store->removed_leftovers().empty());
    EXPECT_EQ(files(), in_progress);
  }
  // Once no one writes, it is a leftover like any other.
  auto store = BackupStore::open(dir_);
  ASSERT_TRUE(store);
  EXPECT_EQ(store->removed_leftovers(), in_progress);
  EXPECT_TRUE(files().empty());
}

TEST_F(BackupStoreTest, RemovalWaitsForReadersAndSaysTheStoreIsInUse) {
  auto store = BackupStore::open(dir_);
  ASSERT_TRUE(store);
  {
    StoreLock reading = store->hold_for_reading();
    auto removing = StoreLock::acquire_exclusive(dir_, std::chrono::seconds(0));
    ASSERT_FALSE(removing);
    EXPECT_EQ(removing.error().code, ErrorCode::kLock);
    EXPECT_NE(removing.error().message.find("is in use"), std::string::npos);
  }
  EXPECT_TRUE(StoreLock::acquire_exclusive(dir_, std::chrono::seconds(0)));
}

TEST_F(BackupStoreTest, BeginBackupReservesDistinctIdsAndCleansUpUncommitted) {
  auto store = BackupStore::open(dir_);
  ASSERT_TRUE(store);
  auto now = sys_days{2026y / November / 22} + 14h + 30min + 52s;
  auto first = store->begin_backup(now, "nightly", ".sqlite");
  ASSERT_TRUE(first) << first.error().message;
  // A second runner in the same second, before the first wrote anything else.
  auto second = store->begin_backup(now, "nightly", ".sqlite");
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(first->id(), "20261122T143052Z_nightly");
  EXPECT_EQ(second->id(), "20261122T143052Z_nightly-2");
  EXPECT_EQ(second->artifact(), "20261122T143052Z_nightly-2.sqlite");
  EXPECT_TRUE(fs::exists(dir_ / ".migrate-20261122T143052Z_nightly.pending"));

  {
    auto third = store->begin_backup(now, "nightly", ".sqlite");
    ASSERT_TRUE(third);
    EXPECT_EQ(third->id(), "20261122T143052Z_nightly-3");
    std::ofstream(third->artifact_path()) << "half";
  }  // dropped uncommitted: its artifact and marker go
  EXPECT_FALSE(fs::exists(dir_ / "20261122T143052Z_nightly-3.sqlite"));
  EXPECT_FALSE(fs::exists(dir_ / ".migrate-20261122T143052Z_nightly-3.pending"));
  EXPECT_TRUE(fs::exists(dir_ / ".migrate-20261122T143052Z_nightly-2.pending"));
}

TEST_F(BackupStoreTest, ListsNewestFirstAndReportsDamageSeparately) {
  auto store = BackupStore::open(dir_);
  ASSERT_TRUE(store);
  add_backup(*store, "20260102T000000Z_b");
  add_backup(*store, "20260103T000000Z_c");
  add_backup(*store, "20260101T000000Z_a");
  // Same second: the creation time orders them.
  add_backup(*store, "20260104T000000Z_z", "2026-01-04T00:00:00.100Z");
  add_backup(*store, "20260104T000000Z_y", "2026-01-04T00:00:00.900Z");
  write("20260105T000000Z_bad.json", "{oops");
  Manifest lost = add_backup(*store, "20260106T000000Z_lost");
  fs::remove(store->artifact_path(lost));
  Manifest cut = add_backup(*store, "20260107T000000Z_cut");
  fs::resize_file(store->artifact_path(cut), 3);

  auto listing = store->list();
  ASSERT_TRUE(listing) << listing.error().message;
  EXPECT_EQ(
      ids_of(listing->backups),
      (std::vector<std::string>{"20260104T000000Z_y", "20260104T000000Z_z", "20260103T000000Z_c",
                                "20260102T000000Z_b", "20260101T000000Z_a"}));
  ASSERT_EQ(listing->damaged.size(), 3u);
  EXPECT_EQ(
      listing->damaged[0].message.rfind("damaged backup '20260105T000000Z_bad': damaged manifest "
                                        "'20260105T000000Z_bad.json': ",
                                        0),
      0u);
  EXPECT_EQ(listing->damaged[1].message,
            "damaged backup '20260106T000000Z_lost': artifact '20260106T000000Z_lost.sqlite' is "
            "missing");
  EXPECT_EQ(listing->damaged[2].message,
            "damaged backup '20260107T000000Z_cut': artifact '20260107T000000Z_cut.sqlite' has 3 "
            "bytes, the manifest says 32");
}

TEST_F(BackupStoreTest, ManifestWhoseIdDiffersFromItsFileNameIsDamaged) {
  auto store = BackupStore::open(dir_);
  ASSERT_TRUE(store);
  Manifest m = add_backup(*store, "20260101T000000Z_a");
  fs::rename(store->manifest_path(m.id), store->manifest_path("20260101T000000Z_b"));
  auto listing = store->list();
  ASSERT_TRUE(listing);
  EXPECT_TRUE(listing->backups.empty());
  ASSERT_EQ(listing->damaged.size(), 1u);
  EXPECT_NE(listing->damaged[0].message.find("does not match the file name"), std::string::npos);
}

TEST_F(BackupStoreTest, AnotherUsersFilesAreNotTrusted) {
  auto store = BackupStore::open(dir_);
  ASSERT_TRUE(store);
  Manifest planted = add_backup(*store, "20260101T000000Z_planted");
  Manifest swapped = add_backup(*store, "20260102T000000Z_swapped");
  ASSERT_EQ(::chown(store->manifest_path(planted.id).c_str(), 65534, 65534), 0);
  ASSERT_EQ(::chown(store->artifact_path(swapped).c_str(), 65534, 65534), 0);
  auto listing = store->list();
  ASSERT_TRUE(listing);
  EXPECT_TRUE(listing->backups.empty());
  ASSERT_EQ(listing->damaged.size(), 2u);
  EXPECT_NE(listing->damaged[0].message.find("backup file '20260101T000000Z_planted.json' is "
                                             "owned by "),
            std::string::npos)
      << listing->damaged[0].message;
  EXPECT_NE(
      listing->damaged[1].message.find("artifact '20260102T000000Z_swapped.sqlite' is owned by"),
      std::string::npos)
      << listing->damaged[1].message;
  for (const char* ref : {"20260101T000000Z_planted", "latest", "planted"})
    EXPECT_FALSE(store->resolve(ref)) << ref;
  EXPECT_NE(store->resolve("20260101T000000Z_planted").error().message.find("uid 65534"),
            std::string::npos);
}

TEST_F(BackupStoreTest, ListsAndResolvesOneDatabasesBackups) {
  auto store = BackupStore::open(dir_);
  ASSERT_TRUE(store);
  auto add = [&](const std::string& id, const std::string& database) {
    Manifest m = add_backup(*store, id);
    m.database = database;
    fs::remove(store->manifest_path(id));
    EXPECT_TRUE(store->commit_manifest(m));
  };
  add("20260101T000000Z_nightly", "sqlite:///srv/one.db");
  add("20260102T000000Z_nightly", "postgres://app:***@DB:5432/one?sslmode=disable");
  add("20260103T000000Z_other", "sqlite:///srv/two.db");
  const std::string one = database_identity("sqlite:///srv/one.db");
  const std::string pg = database_identity("postgres://admin@db/one");
  EXPECT_EQ(pg, "postgres://db:5432/one");

  auto listing = store->list(one);
  ASSERT_TRUE(listing);
  EXPECT_EQ(ids_of(listing->backups), std::vector<std::string>{"20260101T000000Z_nightly"});
  EXPECT_EQ(listing->other_databases, 2u);
  EXPECT_EQ(store->list(pg)->backups.size(), 1u);
  EXPECT_EQ(store->list()->backups.size(), 3u);

  EXPECT_EQ(store->resolve("latest", one)->id, "20260101T000000Z_nightly");
  EXPECT_EQ(store->resolve("nightly", one)->id, "20260101T000000Z_nightly");
  EXPECT_EQ(store->resolve("latest", pg)->id, "20260102T000000Z_nightly");
  // Another database's backup: only by its full id or file name.
  auto by_label = store->resolve("other", one);
  ASSERT_FALSE(by_label);
  EXPECT_EQ(by_label.error().message, "no backup matches 'other'");
  EXPECT_NE(by_label.error().hint.find("20260103T000000Z_other"), std::string::npos);
  EXPECT_EQ(store->resolve("20260103T000000Z_other", one)->id, "20260103T000000Z_other");
  auto none = store->resolve("latest", database_identity("sqlite:///srv/three.db"));
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().hint.find("other databases"), std::string::npos);
}

TEST_F(BackupStoreTest, ControlCharactersOfARefAreEscaped) {
  auto store = BackupStore::open(dir_);
  ASSERT_TRUE(store);
  auto found = store->resolve("a\x1b[31mred\n");
  ASSERT_FALSE(found);
  EXPECT_EQ(found.error().message, "no backup matches 'a\\x1b[31mred\\x0a'");
  EXPECT_NE(store->resolve("../\r").error().message.find("'../\\x0d'"), std::string::npos);
  EXPECT_EQ(escape_control("plain-ref é"), "plain-ref é");
}

struct ResolveCase {
  std::string ref;
  std::string id;     // the backup found, or "" for an error
  std::string error;  // the message, or a part of it
};

TEST_F(BackupStoreTest, ResolvesEachKindOfReference) {
  auto store = BackupStore::open(dir_);
  ASSERT_TRUE(store);
  add_backup(*store, "20260101T000000Z_pre-up");
  add_backup(*store, "20260102T000000Z_nightly");
  add_backup(*store, "20260103T000000Z_pre-up");
  add_backup(*store, "20260104T120000Z_release.v2");
  const ResolveCase cases[] = {
      {"20260102T000000Z_nightly", "20260102T000000Z_nightly", ""},
      {"20260102T000000Z_nightly.json", "20260102T000000Z_nightly", ""},
      {"20260102T000000Z_nightly.sqlite", "20260102T000000Z_nightly", ""},
      {"nightly", "20260102T000000Z_nightly", ""},
      {"release.v2", "20260104T120000Z_release.v2", ""},
      {"20260104", "20260104T120000Z_release.v2", ""},
      {"20260103T", "20260103T000000Z_pre-up", ""},
      {"release", "20260104T120000Z_release.v2", ""},
      {"night", "20260102T000000Z_nightly", ""},
      {"latest", "20260104T120000Z_release.v2", ""},
      {"pre-up", "",
       "backup reference 'pre-up' is ambiguous: it matches 20260103T000000Z_pre-up, "
       "20260101T000000Z_pre-up"},
      {"202601", "",
       "backup reference '202601' is ambiguous: it matches 20260104T120000Z_release.v2, "
       "20260103T000000Z_pre-up, 20260102T000000Z_nightly, 20260101T000000Z_pre-up"},
      {"nope", "", "no backup matches 'nope'"},
      {"", "", "empty backup reference"},
      {"../x", "", "backup reference '../x' is a path"},
      {"/etc/passwd", "", "backup reference '/etc/passwd' is a path"},
      {"a/b", "", "backup reference 'a/b' is a path"},
      {"..", "", "is a path"},
      {"20260102T000000Z_nightly/../../x", "", "is a path"},
  };
  for (const auto& c : cases) {
    auto found = store->resolve(c.ref);
    if (c.id.empty()) {
      ASSERT_FALSE(found) << c.ref << " found " << found->id;
      EXPECT_EQ(found.error().code, ErrorCode::kUsage) << c.ref;
      EXPECT_NE(found.error().message.find(c.error), std::string::npos)
          << c.ref << ": " << found.error().message;
    } else {
      ASSERT_TRUE(found) << c.ref << ": " << found.error().message;
      EXPECT_EQ(found->id, c.id) << c.ref;
    }
  }
  auto none = store->resolve("nope");
  EXPECT_NE(none.error().hint.find("migrate backups"), std::string::npos);
}

TEST_F(BackupStoreTest, ExactIdWinsOverPrefix) {
  auto store = BackupStore::open(dir_);
  ASSERT_TRUE(store);
  add_backup(*store, "20260101T000000Z_a");
  add_backup(*store, "20260101T000000Z_a-2");
  auto found = store->resolve("20260101T000000Z_a");
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_EQ(found->id, "20260101T000000Z_a");
}

TEST_F(BackupStoreTest, ResolveNamesTheDamageOfADamagedBackup) {
  auto store = BackupStore::open(dir_);
  ASSERT_TRUE(store);
  write("20260101T000000Z_a.json", "{");
  auto found = store->resolve("20260101T000000Z_a");
  ASSERT_FALSE(found);
  EXPECT_EQ(found.error().code, ErrorCode::kIo);
  EXPECT_NE(found.error().message.find("damaged manifest '20260101T000000Z_a.json'"),
            std::string::npos);
  // "latest" is the newest backup, damaged or not: never an older one instead.
  auto latest = store->resolve("latest");
  ASSERT_FALSE(latest);
  EXPECT_EQ(latest.error().message, found.error().message);
  EXPECT_NE(latest.error().hint.find("name an older backup explicitly"), std::string::npos);
  // A damaged backup's label, prefix or file name names its damage too.
  for (const char* ref : {"a", "20260101T000000Z", "20260101T000000Z_a.json"}) {
    auto named = store->resolve(ref);
    ASSERT_FALSE(named) << ref;
    EXPECT_EQ(named.error().message, found.error().message) << ref;
  }
}

TEST_F(BackupStoreTest, NewIdIsReadableAndUnique) {
  auto store = BackupStore::open(dir_);
  ASSERT_TRUE(store);
  auto now = sys_days{2026y / November / 22} + 14h + 30min + 52s + 999ms;
  std::string first = store->new_id(now, "pre-safe");
  EXPECT_EQ(first, "20261122T143052Z_pre-safe");
  add_backup(*store, first);
  EXPECT_EQ(store->new_id(now, "pre-safe"), "20261122T143052Z_pre-safe-2");
  // An artifact being written also takes the id.
  write(".20261122T143052Z_pre-safe-2.sqlite.tmp-1", "");
  EXPECT_EQ(store->new_id(now, "pre-safe"), "20261122T143052Z_pre-safe-3");
  EXPECT_EQ(store->new_id(now, "other"), "20261122T143052Z_other");
  EXPECT_EQ(store->new_id(now + 1s, "pre-safe"), "20261122T143053Z_pre-safe");
}

TEST_F(BackupStoreTest, CheckFreeSpace) {
  auto store = BackupStore::open(dir_);
  ASSERT_TRUE(store);
  EXPECT_TRUE(store->check_free_space(0));
  EXPECT_TRUE(store->check_free_space(1));
  auto full = store->check_free_space(std::numeric_limits<std::uint64_t>::max());
  ASSERT_FALSE(full);
  EXPECT_EQ(full.error().code, ErrorCode::kIo);
  EXPECT_EQ(full.error().message.rfind(
                fmt::format("not enough free space in '{}': need 16.0 EiB, have ", dir_.string())),
            0u)
      << full.error().message;
}

TEST_F(BackupStoreTest, RemoveDeletesManifestAndArtifact) {
  auto store = BackupStore::open(dir_);
  ASSERT_TRUE(store);
  Manifest keep = add_backup(*store, "20260101T000000Z_a");
  Manifest gone = add_backup(*store, "20260102T000000Z_b");
  ASSERT_TRUE(store->remove(gone));
  EXPECT_EQ(files(),
            (std::vector<std::string>{"20260101T000000Z_a.json", "20260101T000000Z_a.sqlite"}));
  EXPECT_TRUE(store->remove(gone));  // already gone: nothing to do

  Manifest forged = keep;
  forged.artifact = "../outside";
  EXPECT_FALSE(store->remove(forged));
  EXPECT_EQ(files().size(), 2u);
}

TEST_F(BackupStoreTest, CommitManifestChecksBeforeWriting) {
  auto store = BackupStore::open(dir_);
  ASSERT_TRUE(store);
  Manifest m = add_backup(*store, "20260101T000000Z_a");
  EXPECT_EQ(mode_of(store->manifest_path(m.id)), 0600u);

  auto again = store->commit_manifest(m);
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().message.find("already exists"), std::string::npos);

  Manifest missing = m;
  missing.id = "20260102T000000Z_a";
  missing.artifact = missing.id + ".sqlite";
  auto no_artifact = store->commit_manifest(missing);
  ASSERT_FALSE(no_artifact);
  EXPECT_EQ(no_artifact.error().message,
            "cannot commit backup '20260102T000000Z_a': artifact '20260102T000000Z_a.sqlite' is "
            "missing");

  Manifest invalid = missing;
  invalid.artifact_sha256 = "nope";
  auto bad = store->commit_manifest(invalid);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message,
            "cannot commit backup '20260102T000000Z_a': invalid manifest: field 'artifact_sha256' "
            "is not 64 hexadecimal digits");
  EXPECT_FALSE(fs::exists(store->manifest_path(missing.id)));
}

TEST(BackupLabel, Validation) {
  for (const char* good : {"pre-safe", "a", "v1.2_release", "x-2"})
    EXPECT_TRUE(is_valid_label(good)) << good;
  for (std::string bad : {"", "Pre", "a b", "a/b", "a..b", "é", "a:b"})
    EXPECT_FALSE(is_valid_label(bad)) << bad;
  EXPECT_TRUE(is_valid_label(std::string(64, 'a')));
  EXPECT_FALSE(is_valid_label(std::string(65, 'a')));
}

TEST(HumanSize, UsesBinaryUnits) {
  const std::pair<std::uint64_t, const char*> cases[] = {
      {0, "0 B"},
      {512, "512 B"},
      {1023, "1023 B"},
      {1024, "1.0 KiB"},
      {1536, "1.5 KiB"},
      {1048575, "1.0 MiB"},
      {1288490189, "1.2 GiB"},
      {std::numeric_limits<std::uint64_t>::max(), "16.0 EiB"},
  };
  for (const auto& [bytes, text] : cases) EXPECT_EQ(human_size(bytes), text) << bytes;
}

}  // namespace
}  // namespace migrate

// The snapshots face of a driver: what backups need from a database, a whole
// copy out (snapshot), a whole copy in (restore) and a fingerprint of the
// content to compare the two.
//
// `scratch_dir` is where temporary files may go (the backup store: same
// filesystem, private); they are named like AtomicFile temporaries so that a
// crashed run's leftovers are cleaned up. Backup code takes this face alone.
#pragma once

#include <cstdint>
#include <filesystem>

#include "migrate/byte_stream.h"
#include "migrate/error.h"
#include "migrate/fingerprint.h"

namespace migrate {

// What a snapshot contained, measured on the snapshot itself so that it is
// consistent with the bytes written.
struct SnapshotInfo {
  std::uint64_t size = 0;  // bytes of the snapshot before compression
  ContentFingerprint fingerprint;
};

class SnapshotFace {
 public:
  virtual ~SnapshotFace() = default;

  // "sqlite-database", ...: the artifact format a snapshot is written in.
  virtual std::string snapshot_format() const = 0;
  // Bytes the database takes now: a bound for the free-space check.
  virtual Result<std::uint64_t> database_size() = 0;
  // Writes a consistent snapshot of the whole database to `sink` (finishing
  // it), even while other connections write.
  virtual Result<SnapshotInfo> snapshot(ByteSink& sink,
                                        const std::filesystem::path& scratch_dir) = 0;
  // Replaces the database with the snapshot read from `source`: afterwards it
  // holds exactly the snapshot's state. Nothing changes if reading fails, nor
  // when `expected` (the backup manifest's fingerprint; null: no check) does
  // not match what was read: that is checked before the live database is
  // replaced (a kRefused error naming the first difference).
  virtual Result<void> restore(ByteSource& source, const std::filesystem::path& scratch_dir,
                               const ContentFingerprint* expected) = 0;
  // How restore() uses its source. kStagedFirst: the whole snapshot is read
  // and set aside before the database is touched, so the artifact's checksum
  // can be checked as it streams instead of in a pass of its own.
  enum class RestoreInput { kAppliedWhileRead, kStagedFirst };
  virtual RestoreInput restore_input() const { return RestoreInput::kAppliedWhileRead; }
  // The fingerprint of the live database.
  virtual Result<ContentFingerprint> fingerprint() = 0;
  // Restores `source` into a scratch database, fingerprints it and drops it
  // (`verify --deep`); the live database is not touched.
  virtual Result<ContentFingerprint> fingerprint_snapshot(
      ByteSource& source, const std::filesystem::path& scratch_dir) = 0;
};

}  // namespace migrate

#include "backup/backup_service.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "backup/progress.h"
#include "backup/read_ahead.h"
#include "backup/stream_stages.h"
#include "util/atomic_file.h"
#include "util/clock.h"
#include "util/env.h"
#include "util/log.h"

namespace migrate {
namespace {

constexpr std::string_view kEncryption = "aes-256-gcm";

// What follows the id in the artifact's file name: ".sqlite.zst.enc".
std::string artifact_suffix(const SnapshotFace& driver, const BackupSettings& s) {
  std::string format = driver.snapshot_format();
  std::string name = fmt::format(".{}", std::string_view(format).substr(0, format.find('-')));
  if (s.compression == Compression::kZstd) name += ".zst";
  if (s.compression == Compression::kGzip) name += ".gz";
  if (s.key) name += ".enc";
  return name;
}

// The chain of sources that turns an artifact back into a snapshot.
struct DecodeChain {
  std::unique_ptr<FileSource> file;
  std::unique_ptr<ByteSource> verified;
  std::unique_ptr<ByteSource> verified_ahead;  // destroyed (joined) before what it reads
  std::unique_ptr<ByteSource> decrypted;
  std::unique_ptr<ByteSource> decompressed;
  ByteSource* output = nullptr;
};

Error damaged(const Manifest& manifest, const FileDigest& actual) {
  if (actual.size != manifest.artifact_size)
    return Error{ErrorCode::kIo,
                 fmt::format("backup '{}' is damaged: artifact has {} bytes, manifest says {}",
                             manifest.id, actual.size, manifest.artifact_size),
                 {}};
  return Error{ErrorCode::kIo,
               fmt::format("backup '{}' is damaged: SHA-256 of '{}' is {}, manifest says {}",
                           manifest.id, manifest.artifact, actual.sha256, manifest.artifact_sha256),
               {}};
}

// Whether the artifact's checksum is checked in a pass of its own before
// decoding, or by the decoding itself (VerifyingSource).
enum class ChecksumPass { kBefore, kWhileDecoding };

Result<DecodeChain> open_artifact(const BackupStore& store, const BackupSettings& settings,
                                  const Manifest& manifest,
                                  ChecksumPass checksum = ChecksumPass::kBefore) {
  DecodeChain chain;
  auto file = FileSource::open(store.artifact_path(manifest));
  if (!file) return tl::unexpected(file.error());
  chain.file = std::move(*file);
  ByteSource* current = chain.file.get();
  if (checksum == ChecksumPass::kWhileDecoding) {
    chain.verified = std::make_unique<VerifyingSource>(
        *current, FileDigest{manifest.artifact_sha256, manifest.artifact_size},
        [manifest](const FileDigest& actual) {
          Error error = damaged(manifest, actual);
          error.message += "; the database was not touched";
          return error;
        });
    // Hashing on a thread of its own keeps it off the decoder's critical
    // path; the verdict still arrives before the stream's end.
    chain.verified_ahead = std::make_unique<ReadAheadSource>(*chain.verified);
    current = chain.verified_ahead.get();
  }
  if (manifest.encryption == kEncryption) {
    if (!settings.key) {
      return fail(ErrorCode::kUsage,
                  fmt::format("backup '{}' is encrypted and no key was given", manifest.id),
                  "set MIGRATE_BACKUP_KEY or pass --key-file");
    }
    auto decrypted = make_decrypting_source(*settings.key, *current);
    if (!decrypted) return tl::unexpected(decrypted.error());
    chain.decrypted = std::move(*decrypted);
    current = chain.decrypted.get();
  }
  auto compression = parse_compression(manifest.compression);
  if (!compression) return tl::unexpected(compression.error());
  chain.decompressed = make_decompressing_source(*compression, *current);
  chain.output = chain.decompressed.get();
  return chain;
}

Result<void> read_schema_version(MigrationFace& driver, Manifest& manifest) {
  auto applied = driver.applied_migrations();
  if (!applied) return tl::unexpected(applied.error());
  manifest.schema_migrations = static_cast<std::int64_t>(applied->size());
  for (const auto& row : *applied)
    manifest.schema_version = std::max(manifest.schema_version, row.version);
  return {};
}

// Checks the artifact before the database is touched; the error says so.
Result<void> untouched_unless_intact(const BackupStore& store, const Manifest& manifest) {
  auto checked = check_artifact(store, manifest);
  if (!checked) checked.error().message += "; the database was not touched";
  return checked;
}

// Whether the key opens an encrypted artifact: decrypting its first chunk
// authenticates the header and the key, so a wrong or missing key is
// refused before a pre-restore backup is written or the database touched.
Result<void> check_key(const BackupStore& store, const BackupSettings& settings,
                       const Manifest& manifest) {
  if (manifest.encryption != kEncryption) return {};
  auto untouched = [&](Error e) {
    if (e.code != ErrorCode::kUsage)
      e.message = fmt::format("cannot restore backup '{}' with {}: {}", manifest.id,
                              settings.key ? settings.key->origin : "", e.message);
    e.message += "; the database was not changed";
    return tl::unexpected(std::move(e));
  };
  if (!settings.key) {
    return untouched(
        Error{ErrorCode::kUsage,
              fmt::format("backup '{}' is encrypted and no key was given", manifest.id),
              "set MIGRATE_BACKUP_KEY or pass --key-file"});
  }
  auto file = FileSource::open(store.artifact_path(manifest));
  if (!file) return untouched(file.error());
  auto decrypted = make_decrypting_source(*settings.key, **file);
  if (!decrypted) return untouched(decrypted.error());
  char byte;
  if (auto n = (*decrypted)->read(&byte, 1); !n) return untouched(n.error());
  return {};
}

Result<void> restore_stream(SnapshotFace& driver, const BackupStore& store,
                            const BackupSettings& settings, const Manifest& manifest,
                            ChecksumPass checksum, const std::filesystem::path& scratch) {
  auto chain = open_artifact(store, settings, manifest, checksum);
  if (!chain) return tl::unexpected(chain.error());
  Progress progress("restoring", settings.progress, settings.progress_delay);
  ReadAheadSource decoded(*chain->output);
  ProgressSource counted(decoded, progress);
  auto restored = driver.restore(counted, scratch, &manifest.fingerprint);
  progress.clear();
  return restored;
}

}  // namespace

Result<Manifest> take_backup(Driver& driver, const BackupStore& store,
                             const BackupSettings& settings, std::string_view label,
                             std::string_view reason) {
  auto started = std::chrono::steady_clock::now();
  auto size = driver.database_size();
  if (!size) return tl::unexpected(size.error());
  // Room for an incompressible artifact and, for WAL databases, a scratch copy.
  if (auto r = store.check_free_space(2 * *size + (1 << 20)); !r) return tl::unexpected(r.error());
  auto scratch = store.scratch_dir();
  if (!scratch) return tl::unexpected(scratch.error());

  auto now = env().now();
  auto pending = store.begin_backup(now, label, artifact_suffix(driver, settings));
  if (!pending) return tl::unexpected(pending.error());
  Manifest manifest;
  manifest.id = pending->id();
  manifest.label = std::string(label);
  manifest.reason = std::string(reason);
  manifest.created_at = format_iso8601_utc(now);
  manifest.tool_version = MIGRATE_VERSION;
  manifest.driver = settings.driver_name;
  manifest.server_version = driver.server_version();
  manifest.database = settings.database;
  manifest.format = driver.snapshot_format();
  manifest.compression = compression_name(settings.compression);
  manifest.encryption = settings.key ? std::string(kEncryption) : "none";
  manifest.artifact = pending->artifact();
  if (auto r = read_schema_version(driver, manifest); !r) return tl::unexpected(r.error());

  auto file = AtomicFile::create(pending->artifact_path(), kStoreFilePrefix);
  if (!file) return tl::unexpected(file.error());
  HashingSink hashed(**file);
  std::unique_ptr<ByteSink> encrypted;
  ByteSink* after_compression = &hashed;
  if (settings.key) {
    auto sink = make_encrypting_sink(*settings.key, hashed);
    if (!sink) return tl::unexpected(sink.error());
    encrypted = std::move(*sink);
    after_compression = encrypted.get();
  }
  // Two zstd workers: compression is the costliest stage, and the snapshot's
  // reading and fingerprinting mostly wait on it (bench/RESULTS.md).
  constexpr int kZstdWorkers = 2;
  auto compressed = make_compressing_sink(settings.compression, *after_compression, kZstdWorkers);
  Progress progress("backing up", settings.progress, settings.progress_delay);
  ProgressSink counted(*compressed, progress);

  auto snapshot = driver.snapshot(counted, scratch->path());
  progress.clear();
  if (!snapshot) return tl::unexpected(snapshot.error());
  if (auto r = (*file)->commit(); !r) return tl::unexpected(r.error());
  manifest.database_size = snapshot->size;
  manifest.fingerprint = std::move(snapshot->fingerprint);
  manifest.artifact_size = hashed.bytes();
  manifest.artifact_sha256 = hashed.sha256();
  manifest.duration_ms = elapsed_ms(started);
  if (auto r = pending->commit(manifest); !r) return tl::unexpected(r.error());
  log::info(fmt::format("backup {} written ({}, {} ms)", manifest.id,
                        human_size(manifest.artifact_size), manifest.duration_ms));
  return manifest;
}

Result<void> check_artifact(const BackupStore& store, const Manifest& manifest) {
  auto digest = digest_file(store.artifact_path(manifest));
  if (!digest) {
    return fail(ErrorCode::kIo,
                fmt::format("backup '{}' is unusable: {}", manifest.id, digest.error().message));
  }
  if (digest->size != manifest.artifact_size || digest->sha256 != manifest.artifact_sha256)
    return tl::unexpected(damaged(manifest, *digest));
  return {};
}

Result<RestoreOutcome> restore_backup(Driver& driver, const BackupStore& store,
                                      const BackupSettings& settings, const Manifest& manifest,
                                      PreRestoreBackup pre_restore) {
  auto started = std::chrono::steady_clock::now();
  // Another database system's backup is refused before anything is written,
  // the pre-restore backup included.
  if (!settings.driver_name.empty() && manifest.driver != settings.driver_name) {
    return fail(ErrorCode::kRefused,
                fmt::format("backup '{}' is a {} backup and cannot be restored into a {} "
                            "database; the database was not changed",
                            manifest.id, escape_control(manifest.driver), settings.driver_name));
  }
  // A pre-restore backup is only worth taking for a good artifact, so then
  // the checksum comes first; otherwise a driver that stages the snapshot
  // checks it while decoding.
  auto checksum = pre_restore == PreRestoreBackup::kSkip &&
                          driver.restore_input() == SnapshotFace::RestoreInput::kStagedFirst
                      ? ChecksumPass::kWhileDecoding
                      : ChecksumPass::kBefore;
  if (checksum == ChecksumPass::kBefore) {
    if (auto r = untouched_unless_intact(store, manifest); !r) return tl::unexpected(r.error());
    log::debug(fmt::format("artifact of '{}' verified ({} ms)", manifest.id, elapsed_ms(started)));
  }
  if (auto r = check_key(store, settings, manifest); !r) return tl::unexpected(r.error());
  RestoreOutcome outcome{manifest, std::nullopt, "", 0};
  if (pre_restore == PreRestoreBackup::kTake) {
    auto before = take_backup(driver, store, settings, "pre-restore", "restore");
    if (!before) {
      Error error = before.error();
      error.message = fmt::format(
          "cannot take the backup of the current state that comes before the restore: {}; the "
          "database was not changed",
          error.message);
      std::string without = "restore with --no-backup, which keeps no copy of the current state";
      error.hint = error.hint.empty() ? without : fmt::format("{}; or {}", error.hint, without);
      return tl::unexpected(error);
    }
    outcome.pre_restore_backup = before->id;
  }
  auto scratch = store.scratch_dir();
  if (!scratch) return tl::unexpected(scratch.error());
  auto restored = restore_stream(driver, store, settings, manifest, checksum, scratch->path());
  // A driver that stages the whole snapshot first fails before touching the
  // database; when the artifact is damaged, that is the news, not whatever
  // its decoder stumbled over first.
  if (!restored && checksum == ChecksumPass::kWhileDecoding) {
    if (auto r = untouched_unless_intact(store, manifest); !r) return tl::unexpected(r.error());
  }
  if (!restored) {
    restored.error().message =
        fmt::format("cannot restore backup '{}': {}", manifest.id, restored.error().message);
    return tl::unexpected(restored.error());
  }
  log::debug(fmt::format("database replaced ({} ms)", elapsed_ms(started)));
  auto now = driver.fingerprint();
  if (!now) return tl::unexpected(now.error());
  outcome.difference = describe_difference(manifest.fingerprint, *now);
  outcome.duration_ms = elapsed_ms(started);
  log::debug(fmt::format("fingerprint compared ({} ms)", outcome.duration_ms));
  return outcome;
}

Result<ContentFingerprint> deep_fingerprint(SnapshotFace& driver, const BackupStore& store,
                                            const BackupSettings& settings,
                                            const Manifest& manifest) {
  auto chain = open_artifact(store, settings, manifest);
  if (!chain) return tl::unexpected(chain.error());
  auto scratch = store.scratch_dir();
  if (!scratch) return tl::unexpected(scratch.error());
  ReadAheadSource decoded(*chain->output);
  return driver.fingerprint_snapshot(decoded, scratch->path());
}

}  // namespace migrate

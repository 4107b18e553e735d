// The backup manifest: one JSON file per backup, beside its artifact.
//
// It exists so that restore can confidently reconstruct the database and
// verify it: it says what the artifact is (format, compression, encryption),
// proves the artifact is intact (size and SHA-256 as stored), says which
// database and schema version it came from, and carries the content
// fingerprint that the restored database must match. Writing the manifest is
// the commit point of a backup (see store.h), so a manifest that does not
// parse and validate completely is treated as damaged, never as a backup.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "migrate/error.h"
#include "migrate/fingerprint.h"

namespace migrate {

// Version 2 names the table hash's algorithm (fingerprint.table_hash) and
// keeps each table's digest under "hash"; version 1 ("sha256") is still read.
inline constexpr int kManifestFormatVersion = 2;

struct Manifest {
  int format_version = kManifestFormatVersion;
  std::string id;            // e.g. "20261122T143052Z_pre-safe"
  std::string label;         // "pre-safe", or the user's label
  std::string reason;        // the command: "backup", "up", "safe", "rollback", ...
  std::string created_at;    // ISO 8601 UTC, e.g. "2026-11-22T14:30:52.123Z"
  std::string tool_version;  // migrate's version
  std::string driver;        // "sqlite", "postgres", "mysql"
  std::string server_version;
  std::string database;     // password-free (masked) URL; a SQLite path absolute
                            // (database_identity.h: whose backup it is)
  std::string format;       // artifact format, e.g. "sqlite-database"
  std::string compression;  // "zstd" | "gzip" | "none"
  std::string encryption;   // "none" | "aes-256-gcm"
  std::string artifact;     // artifact file name in the store: "<id>.<ext...>"
  std::uint64_t artifact_size = 0;
  std::string artifact_sha256;         // of the artifact as stored
  std::uint64_t database_size = 0;     // bytes of the uncompressed snapshot
  std::string schema_version;          // highest applied migration, "" if none
  std::int64_t schema_migrations = 0;  // applied migration count
  ContentFingerprint fingerprint;
  std::int64_t duration_ms = 0;
};

// Pretty JSON, fields in a fixed order, ending with a newline.
std::string manifest_to_json(const Manifest& m);

// Parses and validates a manifest: known format version, every field present
// with the right type (version 1 or 2), id of the store's id shape, artifact a plain file name
// "<id>.<ext>", SHA-256 digests as 64 lowercase hex digits, sizes and counts
// non-negative, created_at a UTC timestamp, and the recorded combined
// fingerprint hash consistent with the tables. Errors (kIo) read
// "damaged manifest '<file_name>': <what>".
Result<Manifest> parse_manifest(std::string_view json_text, std::string_view file_name);

// Whether `id` has the shape of a backup id: "YYYYMMDDTHHMMSSZ_" followed by
// a label ([a-z0-9._-], no ".."), possibly with a "-N" uniqueness suffix.
bool is_valid_backup_id(std::string_view id);

// Whether `text` is 64 lowercase hex digits.
bool is_sha256_hex(std::string_view text);

// "2026-11-22T14:30:52Z" or with a fraction ("…52.123Z") -> time point; nullopt
// for anything else. Used to validate created_at and to age backups for prune.
std::optional<std::chrono::system_clock::time_point> parse_utc_timestamp(std::string_view text);

}  // namespace migrate

// Optional encryption of backup artifacts (README.md, "Backups").
//
// A backup may hold every row of a production database, so it can be
// encrypted at rest with AES-256-GCM. The stream is cut into authenticated
// chunks so that a 1 GB artifact is processed in constant memory while
// tampering, reordering and truncation are still detected; no plaintext of a
// chunk is released before that chunk's tag has been verified.
//
// Artifact format, version 1 (all integers big-endian):
//
//   header, 39 bytes:
//     "MIGRATEENC"   10 bytes, magic
//     version         1 byte, 1
//     kdf             1 byte, 0 = raw 256-bit key, 1 = scrypt passphrase
//     log2(N), r, p   1 byte each, scrypt parameters (0 for a raw key)
//     salt           16 bytes, random per artifact (unused for a raw key)
//     nonce prefix    8 bytes, random per artifact
//   then one or more chunks, each at most 1 MiB of plaintext:
//     length          4 bytes, ciphertext length (= plaintext length)
//     ciphertext      `length` bytes
//     tag            16 bytes, GCM tag
//
// Chunk i (counting from 0) uses nonce = prefix || u32(i) and additional
// authenticated data = header || u64(i) || last, where last is 1 for the
// final chunk and 0 otherwise. Binding the header and the position into every
// tag makes a changed header, swapped, duplicated or dropped chunks, a
// missing final chunk and data appended after it all fail authentication.
// Empty plaintext still produces one empty final chunk, and nothing may
// follow the final chunk.
//
// OpenSSL is included only by the encryption_*.cc files.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "migrate/byte_stream.h"
#include "migrate/error.h"

namespace migrate {

// Where the key comes from: MIGRATE_BACKUP_KEY or --key-file. A secret of
// exactly 64 hex characters is used as the AES-256 key directly; anything
// else is a passphrase stretched with scrypt (N=2^15, r=8, p=1) and a salt
// stored in the artifact's header. Never log or print `secret`.
struct BackupKey {
  std::string secret;
  std::string origin;  // for messages: "MIGRATE_BACKUP_KEY" or "key file '/path'"
};

// Reads a key file. A file of exactly 32 bytes is a raw key and is returned
// hex-encoded, so that it is used directly like a 64-hex-character secret.
// Otherwise the text is the secret, minus one trailing line ending (so that
// `openssl rand -hex 32 > key` works). Errors are kUsage and name the file:
// missing, unreadable, not a regular file, empty, larger than 64 KiB, or
// readable or writable by group or others (with a hint to chmod 600).
Result<BackupKey> read_key_file(const std::filesystem::path& path);

// Encrypts what is written to it and writes the artifact to `next`, which
// must outlive the sink. finish() writes the final chunk, then calls
// next.finish(). Fails with kUsage for an empty secret and kGeneral if no
// random bytes or scrypt memory can be had. The header goes out with the
// first chunk. After an error, every later call returns that error again.
Result<std::unique_ptr<ByteSink>> make_encrypting_sink(const BackupKey& key, ByteSink& next);

// Reads and checks the header from `input` (which must outlive the source),
// derives the key, and then decrypts chunk by chunk. Errors are kIo:
//   "not an encrypted migrate backup" (bad magic) or an unsupported version;
//   "cannot decrypt backup: authentication failed at chunk N (wrong key or
//   damaged artifact)", N counting from 1, for a wrong key, tampering,
//   reordered, duplicated or dropped chunks;
//   "cannot decrypt backup: artifact is truncated (last chunk missing)";
//   "cannot decrypt backup: unexpected data after the last chunk".
Result<std::unique_ptr<ByteSource>> make_decrypting_source(const BackupKey& key, ByteSource& input);

// True when `first_bytes` (at least 8 of them) start with the magic of an
// encrypted artifact, so that restore can tell it needs a key.
bool looks_encrypted(std::string_view first_bytes);

}  // namespace migrate

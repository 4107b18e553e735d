#include "backup/encryption.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <string>
#include <vector>

#include "stream_helpers.h"

namespace migrate {
namespace {

using backup_test::kMiB;
using backup_test::random_bytes;
using backup_test::read_all;
using backup_test::ScratchDir;
using backup_test::StringSink;
using backup_test::StringSource;
using backup_test::write_in_pieces;

constexpr size_t kHeader = 39;
constexpr size_t kOverhead = 4 + 16;  // length field and tag of each chunk
constexpr size_t kFullFrame = kOverhead + kMiB;

const BackupKey kHexKey{"00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF",
                        "MIGRATE_BACKUP_KEY"};
const BackupKey kOtherHexKey{"ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100",
                             "MIGRATE_BACKUP_KEY"};
const BackupKey kPassphrase{"s3cret passphrase, do not print", "MIGRATE_BACKUP_KEY"};

std::string encrypt(const BackupKey& key, std::string_view plaintext) {
  StringSink sink;
  auto encryptor = make_encrypting_sink(key, sink);
  EXPECT_TRUE(encryptor) << encryptor.error().message;
  if (!encryptor) return {};
  EXPECT_TRUE(write_in_pieces(**encryptor, plaintext));
  EXPECT_TRUE((*encryptor)->finish());
  EXPECT_TRUE(sink.finished);
  return std::move(sink.data);
}

Result<std::string> decrypt(const BackupKey& key, std::string artifact, size_t buffer_size = 65521,
                            size_t max_read = 4099) {
  StringSource source(std::move(artifact), max_read);
  auto decryptor = make_decrypting_source(key, source);
  if (!decryptor) return tl::unexpected(decryptor.error());
  return read_all(**decryptor, buffer_size);
}

// Every failure must be a kIo error with the expected message that does not
// give away the secret.
template <typename T>
void expect_error(const Result<T>& result, const std::string& needle,
                  const BackupKey& key = kHexKey, ErrorCode code = ErrorCode::kIo) {
  ASSERT_FALSE(result) << "expected an error containing '" << needle << "'";
  EXPECT_EQ(result.error().code, code) << result.error().message;
  EXPECT_NE(result.error().message.find(needle), std::string::npos) << result.error().message;
  if (key.secret.empty()) return;
  EXPECT_EQ(result.error().message.find(key.secret), std::string::npos);
  EXPECT_EQ(result.error().hint.find(key.secret), std::string::npos);
}

const std::string& multi_chunk_plaintext() {
  static const auto* text = new std::string(random_bytes(2 * kMiB + kMiB / 2, 7));
  return *text;
}

TEST(EncryptionRoundTrip, HexKeyAtChunkBoundaries) {
  for (size_t size : {size_t{0}, size_t{1}, size_t{1000}, kMiB - 1, kMiB, kMiB + 1, 2 * kMiB,
                      2 * kMiB + kMiB / 2}) {
    SCOPED_TRACE("plaintext of " + std::to_string(size) + " bytes");
    std::string plaintext = random_bytes(size, size);
    std::string artifact = encrypt(kHexKey, plaintext);
    size_t chunks = size == 0 ? 1 : (size + kMiB - 1) / kMiB;
    EXPECT_EQ(artifact.size(), kHeader + chunks * kOverhead + size);
    EXPECT_TRUE(looks_encrypted(artifact.substr(0, 8)));
    EXPECT_EQ(artifact[11], 0) << "a 64-hex-digit key is used without key derivation";
    for (size_t buffer_size : {size_t{7}, kMiB + 5}) {
      auto output = decrypt(kHexKey, artifact, buffer_size);
      ASSERT_TRUE(output) << output.error().message;
      EXPECT_EQ(output->size(), plaintext.size());
      EXPECT_TRUE(*output == plaintext);
    }
  }
}

TEST(EncryptionRoundTrip, Passphrase) {
  for (const std::string& plaintext :
       {std::string(), std::string("hello"), multi_chunk_plaintext()}) {
    std::string artifact = encrypt(kPassphrase, plaintext);
    ASSERT_GE(artifact.size(), kHeader);
    EXPECT_EQ(artifact.substr(10, 5), std::string("\x01\x01\x0f\x08\x01", 5))
        << "version 1, scrypt with N=2^15, r=8, p=1";
    auto output = decrypt(kPassphrase, artifact);
    ASSERT_TRUE(output) << output.error().message;
    EXPECT_TRUE(*output == plaintext);
  }
}

TEST(EncryptionRoundTrip, SameInputEncryptsDifferentlyEachTime) {
  EXPECT_NE(encrypt(kHexKey, "same"), encrypt(kHexKey, "same"));
}

TEST(EncryptionSniffing, LooksEncrypted) {
  EXPECT_TRUE(looks_encrypted("MIGRATEENC\x01"));
  EXPECT_TRUE(looks_encrypted("MIGRATEE"));
  EXPECT_FALSE(looks_encrypted("MIGRATE"));
  EXPECT_FALSE(looks_encrypted("MIGRATEX"));
  EXPECT_FALSE(looks_encrypted("\x28\xb5\x2f\xfd\x00\x00\x00\x00"));  // zstd
  EXPECT_FALSE(looks_encrypted("SQLite format 3"));
}

TEST(EncryptionKeys, WrongKeyFailsAuthentication) {
  std::string raw_artifact = encrypt(kHexKey, "secret rows");
  expect_error(decrypt(kOtherHexKey, raw_artifact), "authentication failed at chunk 1 (wrong key",
               kOtherHexKey);
  expect_error(decrypt(kPassphrase, raw_artifact), "encrypted with a raw 256-bit key", kPassphrase);

  std::string stretched_artifact = encrypt(kPassphrase, "secret rows");
  BackupKey wrong{"s3cret passphrase, do not prinT", "key file '/k'"};
  expect_error(decrypt(wrong, stretched_artifact), "authentication failed at chunk 1", wrong);
}

TEST(EncryptionKeys, EmptySecretIsAUsageError) {
  BackupKey empty{"", "MIGRATE_BACKUP_KEY"};
  StringSink sink;
  expect_error(make_encrypting_sink(empty, sink), "MIGRATE_BACKUP_KEY is empty", empty,
               ErrorCode::kUsage);
  expect_error(decrypt(empty, encrypt(kHexKey, "x")), "MIGRATE_BACKUP_KEY is empty", empty,
               ErrorCode::kUsage);
}

// A hex key with a typo is refused rather than silently used as a passphrase
// (the backups would need the typo to restore); the key is never echoed.
TEST(EncryptionKeys, AHexKeyWithATypoIsAUsageError) {
  StringSink sink;
  std::string typo(kHexKey.secret);
  typo[10] = 'g';
  BackupKey key{typo, "MIGRATE_BACKUP_KEY"};
  expect_error(make_encrypting_sink(key, sink),
               "the backup key from MIGRATE_BACKUP_KEY has 64 characters, like a raw 256-bit key "
               "in hex, but character 11 is not a hex digit",
               key, ErrorCode::kUsage);
  // A passphrase that only happens to be 64 characters long is fine.
  BackupKey phrase{std::string(64, 'z'), "MIGRATE_BACKUP_KEY"};
  EXPECT_TRUE(make_encrypting_sink(phrase, sink).has_value());
}

TEST(EncryptionTampering, FlippedBitsFail) {
  const std::string artifact = encrypt(kHexKey, multi_chunk_plaintext());
  const size_t last = kHeader + 2 * kFullFrame;  // offset of the third, final chunk
  struct Flip {
    size_t offset;
    const char* needle;
  };
  const Flip flips[] = {
      {0, "not an encrypted migrate backup"},
      {10, "unsupported encrypted backup format version"},
      {11, "unknown key derivation 4"},
      {12, "authentication failed at chunk 1"},  // unused scrypt parameter, still authenticated
      {15, "authentication failed at chunk 1"},  // salt
      {38, "authentication failed at chunk 1"},  // nonce prefix
      {kHeader + 3, "cannot decrypt backup"},    // length field of chunk 1
      {kHeader + 4, "authentication failed at chunk 1"},
      {kHeader + 4 + kMiB / 2, "authentication failed at chunk 1"},
      {kHeader + 4 + kMiB + 15, "authentication failed at chunk 1"},  // tag
      {kHeader + kFullFrame + 100, "authentication failed at chunk 2"},
      {last + 4, "authentication failed at chunk 3"},
      {artifact.size() - 1, "authentication failed at chunk 3"},  // final tag
  };
  for (const Flip& flip : flips) {
    SCOPED_TRACE("bit flipped at offset " + std::to_string(flip.offset));
    std::string damaged = artifact;
    damaged[flip.offset] = static_cast<char>(damaged[flip.offset] ^ 0x04);
    expect_error(decrypt(kHexKey, damaged), flip.needle);
  }
}

TEST(EncryptionTampering, NoPlaintextBeforeItsTagVerified) {
  std::string damaged = encrypt(kHexKey, multi_chunk_plaintext());
  damaged[kHeader + kFullFrame + 10] ^= 1;  // inside chunk 2
  StringSource source(damaged);
  auto decryptor = make_decrypting_source(kHexKey, source);
  ASSERT_TRUE(decryptor);
  std::vector<char> buffer(2 * kMiB);
  auto first = (*decryptor)->read(buffer.data(), buffer.size());
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(*first, kMiB);
  EXPECT_TRUE(std::string_view(buffer.data(), kMiB) == multi_chunk_plaintext().substr(0, kMiB));
  expect_error((*decryptor)->read(buffer.data(), buffer.size()),
               "authentication failed at chunk 2");
  expect_error((*decryptor)->read(buffer.data(), buffer.size()),
               "authentication failed at chunk 2");
}

TEST(EncryptionTampering, ReorderedDuplicatedOrDroppedChunksFail) {
  const std::string artifact = encrypt(kHexKey, multi_chunk_plaintext());
  const std::string header = artifact.substr(0, kHeader);
  const std::string c1 = artifact.substr(kHeader, kFullFrame);
  const std::string c2 = artifact.substr(kHeader + kFullFrame, kFullFrame);
  const std::string c3 = artifact.substr(kHeader + 2 * kFullFrame);
  ASSERT_TRUE(decrypt(kHexKey, header + c1 + c2 + c3));
  expect_error(decrypt(kHexKey, header + c2 + c1 + c3), "authentication failed at chunk 1");
  expect_error(decrypt(kHexKey, header + c1 + c1 + c2 + c3), "authentication failed at chunk 2");
  expect_error(decrypt(kHexKey, header + c1 + c3), "authentication failed at chunk 2");
  expect_error(decrypt(kHexKey, header + c1 + c3 + c2), "authentication failed at chunk 2");
  // A final chunk from another artifact with the same key does not fit either.
  const std::string other = encrypt(kHexKey, multi_chunk_plaintext());
  expect_error(decrypt(kHexKey, header + c1 + c2 + other.substr(kHeader + 2 * kFullFrame)),
               "authentication failed at chunk 3");
}

TEST(EncryptionTruncation, DroppedLastChunkIsReportedAsTruncation) {
  const std::string artifact = encrypt(kHexKey, multi_chunk_plaintext());
  const char* truncated = "cannot decrypt backup: artifact is truncated (last chunk missing)";
  expect_error(decrypt(kHexKey, artifact.substr(0, kHeader + 2 * kFullFrame)), truncated);
  expect_error(decrypt(kHexKey, artifact.substr(0, kHeader + kFullFrame)), truncated);
  expect_error(decrypt(kHexKey, artifact.substr(0, kHeader)), truncated);
  expect_error(decrypt(kHexKey, artifact.substr(0, kHeader + kFullFrame + 2)), truncated);
  expect_error(decrypt(kHexKey, artifact.substr(0, kHeader + kFullFrame + kMiB / 3)), truncated);
  expect_error(decrypt(kHexKey, artifact.substr(0, artifact.size() - 1)), truncated);
}

TEST(EncryptionTruncation, EveryPrefixOfASmallArtifactFails) {
  const std::string artifact = encrypt(kHexKey, "a small table");
  for (size_t keep = 0; keep < artifact.size(); ++keep) {
    SCOPED_TRACE("keep " + std::to_string(keep));
    ASSERT_FALSE(decrypt(kHexKey, artifact.substr(0, keep), 7, 3));
  }
  expect_error(decrypt(kHexKey, ""), "not an encrypted migrate backup");
  expect_error(decrypt(kHexKey, "MIGRATEENC\x01"), "artifact is truncated");
}

TEST(EncryptionTruncation, TrailingBytesAfterTheLastChunkFail) {
  for (const std::string& plaintext : {std::string(), multi_chunk_plaintext()}) {
    const std::string artifact = encrypt(kHexKey, plaintext);
    expect_error(decrypt(kHexKey, artifact + "x"), "unexpected data after the last chunk");
    expect_error(decrypt(kHexKey, artifact + std::string(4, '\0')), "cannot decrypt backup");
    expect_error(decrypt(kHexKey, artifact + std::string(20, '\0')), "cannot decrypt backup");
    expect_error(decrypt(kHexKey, artifact + artifact.substr(artifact.size() - 20)),
                 "unexpected data after the last chunk");
  }
}

TEST(EncryptionFormat, PlainDataIsNotAnEncryptedBackup) {
  expect_error(decrypt(kHexKey, "CREATE TABLE t (id INTEGER PRIMARY KEY);\n"),
               "not an encrypted migrate backup");
  std::string future = encrypt(kHexKey, "x");
  future[10] = 2;
  expect_error(decrypt(kHexKey, future), "unsupported encrypted backup format version 2");
}

// Key files -------------------------------------------------------------------

std::filesystem::path write_key_file(const ScratchDir& dir, const std::string& content,
                                     mode_t mode = 0600) {
  auto path = dir.path() / "backup.key";
  std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
  EXPECT_EQ(::chmod(path.c_str(), mode), 0);
  return path;
}

TEST(EncryptionKeyFile, ThirtyTwoRawBytesAreTheKey) {
  ScratchDir dir;
  std::string raw = random_bytes(32, 99);
  raw[31] = '\n';  // a raw key may end in anything, a newline included
  auto key = read_key_file(write_key_file(dir, raw));
  ASSERT_TRUE(key) << key.error().message;
  EXPECT_EQ(key->origin, "key file '" + (dir.path() / "backup.key").string() + "'");
  ASSERT_EQ(key->secret.size(), 64u);
  std::string artifact = encrypt(*key, "rows");
  EXPECT_EQ(artifact[11], 0) << "used directly, not stretched";
  auto output = decrypt(*key, artifact);
  ASSERT_TRUE(output) << output.error().message;
  EXPECT_EQ(*output, "rows");
}

TEST(EncryptionKeyFile, HexKeyWithTrailingNewlineEqualsTheSameKeyFromTheEnvironment) {
  ScratchDir dir;
  auto key = read_key_file(write_key_file(dir, kHexKey.secret + "\n"));
  ASSERT_TRUE(key) << key.error().message;
  EXPECT_EQ(key->secret, kHexKey.secret);
  auto output = decrypt(kHexKey, encrypt(*key, "rows"));
  ASSERT_TRUE(output) << output.error().message;
  EXPECT_EQ(*output, "rows");
}

TEST(EncryptionKeyFile, TextIsAPassphrase) {
  ScratchDir dir;
  auto key = read_key_file(write_key_file(dir, kPassphrase.secret + "\r\n", 0400));
  ASSERT_TRUE(key) << key.error().message;
  EXPECT_EQ(key->secret, kPassphrase.secret);
}

TEST(EncryptionKeyFile, RefusesUnsafeOrUnusableFiles) {
  ScratchDir dir;
  const std::string secret = "a passphrase that must stay secret";
  BackupKey for_check{secret, ""};
  for (mode_t mode : {0644, 0640, 0604, 0610}) {
    auto path = write_key_file(dir, secret, mode);
    auto key = read_key_file(path);
    expect_error(key, "key file '" + path.string() + "' is accessible by group or others",
                 for_check, ErrorCode::kUsage);
    EXPECT_NE(key.error().hint.find("chmod 600"), std::string::npos);
  }
  expect_error(read_key_file(write_key_file(dir, "", 0600)), "is empty", for_check,
               ErrorCode::kUsage);
  expect_error(read_key_file(write_key_file(dir, "\n", 0600)), "is empty", for_check,
               ErrorCode::kUsage);
  auto missing = dir.path() / "missing.key";
  expect_error(read_key_file(missing), "key file '" + missing.string() + "' does not exist",
               for_check, ErrorCode::kUsage);
  auto directory = dir.path() / "keys";
  std::filesystem::create_directory(directory);
  ::chmod(directory.c_str(), 0700);
  expect_error(read_key_file(directory), "is not a regular file", for_check, ErrorCode::kUsage);
}

}  // namespace
}  // namespace migrate

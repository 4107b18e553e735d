// Crash-safe file creation, the way leveldb replaces CURRENT and ccache's
// AtomicFile writes cache entries.
//
// Bytes go to a temporary file beside the final one
// (".<prefix><final-name>.tmp-<pid>", created exclusively, mode 0600; the
// backup store passes a prefix of its own so that it only ever cleans up its
// own temporaries). Only commit() makes the file appear under
// its final name: it syncs the data, renames without ever replacing an
// existing file, and syncs the directory, so after a crash the final name
// either holds the complete content or does not exist. An AtomicFile that is
// destroyed without commit() removes its temporary and leaves nothing behind;
// it never commits by itself, so an error path cannot publish half-written
// data. The temporary's name carries the writer's pid so that the next run can
// tell a crashed writer's leftover from a live one (see BackupStore::open).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "migrate/byte_stream.h"
#include "migrate/error.h"

namespace migrate {

class AtomicFile final : public ByteSink {
 public:
  // Creates the temporary for `final_path`. Fails (kIo) when the directory is
  // not writable or the temporary already exists (a crashed run with the same
  // pid); it does not look at `final_path` itself, commit() does.
  static Result<std::unique_ptr<AtomicFile>> create(const std::filesystem::path& final_path,
                                                    std::string_view prefix = {});

  // Removes the temporary unless commit() succeeded.
  ~AtomicFile() override;
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  // Buffers up to 1 MiB, then writes. After any failure the file is unusable:
  // every later call fails, and the destructor discards it.
  Result<void> write(std::string_view bytes) override;
  // Hands what is buffered to the kernel, so that the temporary can be read
  // in full (its sync may then run on another thread); no sync.
  Result<void> write_out() {
    if (state_ != State::kOpen) return {};
    return flush();
  }
  // Writes what is buffered, fsyncs and closes the temporary; no rename.
  Result<void> finish() override;
  // finish() if needed, then renames the temporary to the final name and
  // fsyncs the directory. By default an existing final name is an error;
  // kReplace swaps the new file in atomically (restoring a SQLite database):
  // after a crash the name holds either the old file or the new one.
  enum class Existing { kRefuse, kReplace };
  Result<void> commit(Existing existing = Existing::kRefuse);

  // Bytes accepted by write() so far.
  std::uint64_t bytes_written() const { return bytes_written_; }
  const std::filesystem::path& temporary_path() const { return temporary_path_; }
  const std::filesystem::path& final_path() const { return final_path_; }

 private:
  enum class State { kOpen, kFinished, kCommitted, kFailed };

  AtomicFile(std::filesystem::path final_path, std::filesystem::path temporary_path, int fd);
  Result<void> flush();
  void start_writeback();
  // Marks the file unusable and passes the error on.
  tl::unexpected<Error> broken(Error error);

  std::filesystem::path final_path_;
  std::filesystem::path temporary_path_;
  int fd_;
  State state_ = State::kOpen;
  std::string buffer_;
  std::uint64_t bytes_written_ = 0;
  std::uint64_t on_disk_ = 0;         // bytes handed to write(2)
  std::uint64_t writeback_from_ = 0;  // start of the range not yet sent to the disk
};

// Whether a file name is an AtomicFile temporary (".<name>.tmp-<digits>").
bool is_atomic_temporary(std::string_view file_name);

// The pid recorded in an AtomicFile temporary's name, or 0 when `file_name`
// is not one.
long atomic_temporary_pid(std::string_view file_name);

// The writer's pid of an AtomicFile temporary or of a SQLite companion of one
// ("<temporary>-journal", "-wal", "-shm"), or 0.
long temporary_owner(std::string_view file_name);

// Whether process `pid` still runs (another user's included): a temporary
// whose owner is gone is a crashed run's leftover.
bool process_alive(long pid);

// Writes `content` to `path` crash-safely (one AtomicFile with temporary
// name prefix `prefix`, committed); fails if `path` exists.
Result<void> write_file_atomically(const std::filesystem::path& path, std::string_view content,
                                   std::string_view prefix = {});

// Low-level pieces, shared with the store and exposed so that tests can drive
// the error paths with a descriptor on /dev/full.

// Writes all of `bytes` to `fd`, retrying short writes and EINTR. Errors
// (kIo) name `path` and the cause: "cannot write '<path>': no space left on device".
Result<void> write_all(int fd, std::string_view bytes, const std::filesystem::path& path);

// fsync(2) of a directory, so that renames and unlinks in it survive a crash.
Result<void> sync_directory(const std::filesystem::path& dir);

// strerror(3) as a lowercase phrase ("no space left on device"), for messages.
std::string os_error_text(int error_number);

}  // namespace migrate

// Progress of long backups and restores: bytes and rate on stderr, only on a
// terminal and only once an operation has run for a second.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "migrate/byte_stream.h"

namespace migrate {

class Progress {
 public:
  // `enabled` is false when stderr is not a terminal (or with --json/--quiet).
  // Operations shorter than `quiet` draw nothing (MIGRATE_PROGRESS_DELAY).
  Progress(std::string action, bool enabled, std::chrono::milliseconds quiet);
  ~Progress();  // clears the line if anything was drawn
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void add(std::uint64_t bytes);
  // Erases the progress line, if one was drawn, before other output follows.
  void clear();

 private:
  std::string action_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::milliseconds quiet_;  // nothing is drawn before this
  std::uint64_t bytes_ = 0;
  std::chrono::steady_clock::time_point started_, last_draw_;
};

// True when progress may be drawn: stderr is a terminal.
bool progress_wanted();

// Counts the bytes that pass through into a Progress.
class ProgressSink final : public ByteSink {
 public:
  ProgressSink(ByteSink& next, Progress& progress) : next_(next), progress_(progress) {}
  Result<void> write(std::string_view bytes) override {
    progress_.add(bytes.size());
    return next_.write(bytes);
  }
  Result<void> finish() override { return next_.finish(); }

 private:
  ByteSink& next_;
  Progress& progress_;
};

class ProgressSource final : public ByteSource {
 public:
  ProgressSource(ByteSource& input, Progress& progress) : input_(input), progress_(progress) {}
  Result<size_t> read(char* buffer, size_t size) override {
    auto n = input_.read(buffer, size);
    if (n) progress_.add(*n);
    return n;
  }

 private:
  ByteSource& input_;
  Progress& progress_;
};

}  // namespace migrate

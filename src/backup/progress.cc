#include "backup/progress.h"

#include <unistd.h>

#include <cstdio>

namespace migrate {
namespace {

constexpr auto kRedrawEvery = std::chrono::milliseconds(250);

double mebibytes(std::uint64_t bytes) {
  return static_cast<double>(bytes) / (1024.0 * 1024.0);
}

}  // namespace

bool progress_wanted() {
  return ::isatty(STDERR_FILENO);
}

Progress::Progress(std::string action, bool enabled, std::chrono::milliseconds quiet)
    : action_(std::move(action)),
      enabled_(enabled),
      quiet_(quiet),
      started_(std::chrono::steady_clock::now()) {}

Progress::~Progress() {
  clear();
}

void Progress::clear() {
  if (!drawn_) return;
  std::fprintf(stderr, "\r\033[K");
  std::fflush(stderr);
  drawn_ = false;
}

void Progress::add(std::uint64_t bytes) {
  bytes_ += bytes;
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  if (now - started_ < quiet_ || now - last_draw_ < kRedrawEvery) return;
  last_draw_ = now;
  double seconds = std::chrono::duration<double>(now - started_).count();
  std::fprintf(stderr, "\r\033[K%s: %.1f MiB (%.0f MiB/s)", action_.c_str(), mebibytes(bytes_),
               mebibytes(bytes_) / seconds);
  std::fflush(stderr);
  drawn_ = true;
}

}  // namespace migrate

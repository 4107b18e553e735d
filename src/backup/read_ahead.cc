#include "backup/read_ahead.h"

#include <algorithm>
#include <cstring>

namespace migrate {

ReadAheadSource::ReadAheadSource(ByteSource& upstream, size_t buffers, size_t buffer_size)
    : upstream_(upstream) {
  for (size_t i = 0; i < buffers; ++i) free_.push_back(Block{std::vector<char>(buffer_size), 0});
  worker_ = std::thread([this] { produce(); });
}

ReadAheadSource::~ReadAheadSource() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  worker_.join();
}

void ReadAheadSource::produce() {
  for (;;) {
    Block block;
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] { return stopping_ || !free_.empty(); });
      if (stopping_) return;
      block = std::move(free_.back());
      free_.pop_back();
    }
    auto n = upstream_.read(block.bytes.data(), block.bytes.size());
    std::lock_guard lock(mutex_);
    if (!n) {
      error_ = n.error();
      ended_ = true;
    } else if (*n == 0) {
      ended_ = true;
    } else {
      block.size = *n;
      full_.push_back(std::move(block));
    }
    changed_.notify_all();
    if (ended_) return;
  }
}

Result<size_t> ReadAheadSource::read(char* buffer, size_t size) {
  if (current_pos_ == current_.size) {
    std::unique_lock lock(mutex_);
    if (!current_.bytes.empty()) {  // hand the finished block back
      current_.size = 0;
      free_.push_back(std::move(current_));
      current_ = Block{};
      changed_.notify_all();
    }
    changed_.wait(lock, [&] { return !full_.empty() || ended_; });
    if (full_.empty()) {
      if (error_) return tl::unexpected(*error_);
      return 0;
    }
    current_ = std::move(full_.front());
    full_.pop_front();
    current_pos_ = 0;
  }
  size_t n = std::min(size, current_.size - current_pos_);
  if (n > 0) std::memcpy(buffer, current_.bytes.data() + current_pos_, n);  // read(nullptr, 0)
  current_pos_ += n;
  return n;
}

}  // namespace migrate

// Decoding on a thread of its own: a ByteSource that reads its upstream
// (file, checksum, decryption, decompression) ahead into a few buffers while
// the consumer (a driver writing the database) works on the previous ones,
// so that the two overlap instead of taking turns. Memory stays bounded by
// the buffers, whatever the size of the stream.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "migrate/byte_stream.h"

namespace migrate {

class ReadAheadSource final : public ByteSource {
 public:
  // `upstream` is read only by the worker thread from now on, until this
  // object is destroyed.
  explicit ReadAheadSource(ByteSource& upstream, size_t buffers = 4,
                           size_t buffer_size = size_t{1} << 20);
  // Stops the worker (it finishes the read it is in) and joins it.
  ~ReadAheadSource() override;
  ReadAheadSource(const ReadAheadSource&) = delete;
  ReadAheadSource& operator=(const ReadAheadSource&) = delete;

  // The upstream's bytes in order; its error once the bytes before it are
  // consumed; 0 at its end.
  Result<size_t> read(char* buffer, size_t size) override;

 private:
  struct Block {
    std::vector<char> bytes;
    size_t size = 0;
  };
  void produce();

  ByteSource& upstream_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Block> full_;   // filled by the worker, in order
  std::vector<Block> free_;  // emptied by the consumer
  std::optional<Error> error_;
  bool ended_ = false;     // the worker has passed on the upstream's end or error
  bool stopping_ = false;  // the consumer is going away
  Block current_;          // the block the consumer is reading
  size_t current_pos_ = 0;
  std::thread worker_;  // last: starts once everything above exists
};

}  // namespace migrate

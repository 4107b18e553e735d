// Streams of bytes between a database snapshot and the backup store.
//
// A snapshot is written into a chain of sinks (hash, compress, encrypt, file)
// and read back through a chain of sources (file, decrypt, decompress), so no
// stage ever holds more than one buffer and memory does not grow with the
// database.
#pragma once

#include <cstddef>
#include <string_view>

#include "migrate/error.h"

namespace migrate {

class ByteSink {
 public:
  virtual ~ByteSink() = default;
  virtual Result<void> write(std::string_view bytes) = 0;
  // No more data: flush everything downstream (and finish the next sink).
  virtual Result<void> finish() = 0;
};

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Reads up to `size` bytes into `buffer`; 0 means the end of the stream.
  virtual Result<size_t> read(char* buffer, size_t size) = 0;
};

}  // namespace migrate

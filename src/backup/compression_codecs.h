// The codec implementations behind make_compressing_sink() and
// make_decompressing_source(), one file per library so that <zstd.h> and
// <zlib.h> each have a single home. Only compression.cc includes this.
#pragma once

#include <cstddef>
#include <memory>

#include "migrate/byte_stream.h"

namespace migrate::compression {

// Size of every stage's working buffer: large enough that per-call overhead
// disappears next to the codec, small enough to keep a stage at a few MiB.
inline constexpr size_t kBufferSize = size_t{1} << 20;

std::unique_ptr<ByteSink> make_zstd_sink(ByteSink& next, int workers);
std::unique_ptr<ByteSource> make_zstd_source(ByteSource& input);

std::unique_ptr<ByteSink> make_gzip_sink(ByteSink& next);
std::unique_ptr<ByteSource> make_gzip_source(ByteSource& input);

}  // namespace migrate::compression

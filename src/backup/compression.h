// Compression stages of the backup stream (README.md, "Backups").
//
// A backup artifact is written through a chain of ByteSinks and read back
// through a chain of ByteSources; this module supplies the stage that
// compresses on the way in and the one that decompresses on the way out. zstd
// is the default because at level 1 with a couple of worker threads it keeps
// up with a dump tool; gzip exists for people who must open an artifact with
// nothing but `gzip -d`; none is for already-compressed dump formats.
//
// Each stage holds one 1 MiB buffer (plus the library's own state), so memory
// does not grow with the size of the database. The zstd and zlib headers are
// included only by compression_zstd.cc and compression_gzip.cc.
#pragma once

#include <memory>
#include <string_view>

#include "migrate/byte_stream.h"
#include "migrate/error.h"

namespace migrate {

enum class Compression { kZstd, kGzip, kNone };

// "zstd", "gzip" or "none": the value of `--compression` and of the manifest.
const char* compression_name(Compression c);

// Inverse of compression_name(). An unknown name is a kUsage error that quotes
// the value and lists the choices.
Result<Compression> parse_compression(std::string_view name);

// Compresses what is written to it and writes the result to `next`. finish()
// flushes the compressor and then calls next.finish(); nothing is complete
// until it has returned successfully. zstd: level 1, with `zstd_workers`
// worker threads (0 = single-threaded; ignored by a libzstd built without
// threads); gzip: deflate level 1 with a gzip header, readable by `gzip -d`;
// none: pass-through. `next` must outlive the returned sink. After an error,
// every later call returns that error again.
std::unique_ptr<ByteSink> make_compressing_sink(Compression c, ByteSink& next,
                                                int zstd_workers = 2);

// Decompresses what it reads from `input`, which must outlive the returned
// source. Corrupt or truncated input (including an empty one) is a kIo error
// ("corrupt zstd stream: ...", "truncated gzip stream", ...), never a short
// but successful read. Concatenated frames/members are read one after the
// other, as `zstd -d` and `gzip -d` do.
std::unique_ptr<ByteSource> make_decompressing_source(Compression c, ByteSource& input);

}  // namespace migrate

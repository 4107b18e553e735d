// DumpScanner (src/drivers/postgres/pg_dump_format.cc) on arbitrary pg_dump
// output: headers, COPY data, setval() lines, large objects, the completion
// marker, and the tuned replay's rewrites.
//
// Property: the result does not depend on how the stream is cut into chunks:
// the whole text at once and the same text in small chunks give the same
// filtered output, sequences and flags.
#include <algorithm>
#include <string>

#include "drivers/postgres/pg_tools.h"
#include "dump_chunks.h"
#include "fuzz_check.h"

namespace migrate::fuzz {
namespace {

using postgres::DumpScanner;

struct Outcome {
  std::string filtered;
  bool header_read, looks_like_dump, complete;
  DumpScanner::SequencePositions sequences;
};

template <typename Chunks>
Outcome scan(const Chunks& chunks, DumpScanner::Replay replay, bool filter) {
  DumpScanner scanner(replay);
  Outcome out;
  std::string* filtered = filter ? &out.filtered : nullptr;
  for (std::string_view chunk : chunks) scanner.scan(chunk, filtered);
  scanner.finish(filtered);
  out.header_read = scanner.header_read();
  out.looks_like_dump = scanner.looks_like_dump();
  out.complete = scanner.complete();
  out.sequences = scanner.sequences();
  return out;
}

void check_same(const Outcome& a, const Outcome& b) {
  FUZZ_CHECK(a.filtered == b.filtered);
  FUZZ_CHECK(a.header_read == b.header_read);
  FUZZ_CHECK(a.looks_like_dump == b.looks_like_dump);
  FUZZ_CHECK(a.complete == b.complete);
  FUZZ_CHECK(a.sequences == b.sequences);
}

}  // namespace
}  // namespace migrate::fuzz

// The first byte's bits: tuned replay, filtered output.
extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, size_t size) {
  using namespace migrate::fuzz;
  ChunkedInput input = cut_into_chunks(as_text(data, size));
  if (size < 3) return 0;
  auto replay = data[0] & 2 ? DumpScanner::Replay::kTuned : DumpScanner::Replay::kAsDumped;
  bool filter = data[0] & 4;
  Outcome whole = scan(std::vector<std::string_view>{input.text}, replay, filter);
  Outcome chunked = scan(input.chunks, replay, filter);
  check_same(whole, chunked);
  if (filter && replay == DumpScanner::Replay::kAsDumped) {
    // Only whole lines are dropped: the output is never longer than the input plus a newline.
    FUZZ_CHECK(whole.filtered.size() <= input.text.size() + 1);
  }
  return 0;
}

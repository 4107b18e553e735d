// DumpReader and DumpFingerprint (src/drivers/mysql/mysql_dump_format.cc)
// on arbitrary mariadb-dump output: quotes, comments, /*! */ statements,
// DELIMITER lines, row-per-line INSERTs and the completion marker.
//
// Property: the result does not depend on how the stream is cut into
// chunks: the whole text at once and the same text in small chunks deliver
// the same statements, rows, errors, flags and fingerprint.
#include <string>
#include <vector>

#include "drivers/mysql/mysql_dump_format.h"
#include "dump_chunks.h"
#include "fuzz_check.h"

namespace migrate::fuzz {
namespace {

using mysql::DumpReader;
using mysql::DumpStatement;

struct Outcome {
  std::vector<std::string> events;  // statements and rows, in order
  std::string error;
  bool looks_like_dump = false, complete = false;
  std::string fingerprint;
};

template <typename Chunks>
Outcome read(const Chunks& chunks, DumpReader::Inserts inserts, bool with_rows) {
  Outcome out;
  mysql::DumpFingerprint fingerprint;
  auto handler = [&](const DumpStatement& s) -> migrate::Result<void> {
    FUZZ_CHECK(!s.text.empty());
    if (s.kind == DumpStatement::Kind::kSchema) fingerprint.add(s);
    out.events.push_back((s.kind == DumpStatement::Kind::kRows ? "rows " : "schema ") +
                         std::string(s.table) + ": " + std::string(s.text));
    return {};
  };
  auto rows = [&](std::string_view table, std::string_view tuple) {
    fingerprint.add_row(table, tuple);
    out.events.push_back("row " + std::string(table) + ": " + std::string(tuple));
  };
  DumpReader reader(handler, with_rows ? DumpReader::RowHandler(rows) : nullptr, inserts);
  migrate::Result<void> result;
  for (std::string_view chunk : chunks) {
    result = reader.feed(chunk);
    if (!result) break;
  }
  if (result) result = reader.finish();
  if (!result) out.error = result.error().message;
  out.looks_like_dump = reader.looks_like_dump();
  out.complete = reader.complete();
  migrate::ContentFingerprint done = fingerprint.finish("", {});
  out.fingerprint = done.combined_sha256();
  return out;
}

}  // namespace
}  // namespace migrate::fuzz

// The first byte's bits: skip INSERT statements, hand rows out.
extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, size_t size) {
  using namespace migrate::fuzz;
  if (size < 3) return 0;
  ChunkedInput input = cut_into_chunks(as_text(data, size));
  auto inserts = data[0] & 1 ? DumpReader::Inserts::kSkip : DumpReader::Inserts::kDeliver;
  bool with_rows = data[0] & 2;
  Outcome whole = read(std::vector<std::string_view>{input.text}, inserts, with_rows);
  Outcome chunked = read(input.chunks, inserts, with_rows);
  FUZZ_CHECK(whole.events == chunked.events);
  FUZZ_CHECK(whole.error == chunked.error);
  FUZZ_CHECK(whole.looks_like_dump == chunked.looks_like_dump);
  FUZZ_CHECK(whole.complete == chunked.complete);
  FUZZ_CHECK(whole.fingerprint == chunked.fingerprint);
  return 0;
}

// parse_manifest (src/backup/manifest.cc) on arbitrary JSON, and the
// helpers it validates with.
//
// Properties: a failure is a kIo error reading "damaged manifest '<file>':
// ..."; a manifest that parses writes back (manifest_to_json) to JSON that
// parses to the same manifest, and writing that again gives the same text.
#include <string>

#include "backup/manifest.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, size_t size) {
  using namespace migrate;
  std::string_view text = fuzz::as_text(data, size);
  is_valid_backup_id(text);
  is_sha256_hex(text);
  parse_utc_timestamp(text);
  auto manifest = parse_manifest(text, "fuzz.json");
  if (!manifest) {
    FUZZ_CHECK(manifest.error().code == ErrorCode::kIo);
    FUZZ_CHECK(manifest.error().message.starts_with("damaged manifest 'fuzz.json': "));
    return 0;
  }
  FUZZ_CHECK(is_valid_backup_id(manifest->id));
  FUZZ_CHECK(is_sha256_hex(manifest->artifact_sha256));
  FUZZ_CHECK(parse_utc_timestamp(manifest->created_at).has_value());
  std::string json = manifest_to_json(*manifest);
  auto again = parse_manifest(json, "fuzz.json");
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(manifest_to_json(*again) == json);
  return 0;
}

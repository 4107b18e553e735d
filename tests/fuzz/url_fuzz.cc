// parse_database_url (src/core/url.cc) on arbitrary text.
//
// Properties: masked() of a parsed URL parses back to the same values with
// the password and the values of secret query parameters (?sslpassword=)
// shown as *** (the header promises a URL that parses back),
// and a password never shows in masked() or in an error message. The second
// property needs to know the password, so half of the inputs are built as
// scheme://user:password@rest from the fuzzer's bytes.
#include <fuzzer/FuzzedDataProvider.h>

#include <string>

#include "fuzz_check.h"
#include "migrate/url.h"

namespace migrate::fuzz {
namespace {

void check_round_trip(const DatabaseUrl& url) {
  std::string masked = url.masked();
  auto again = parse_database_url(masked);
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(again->kind == url.kind);
  FUZZ_CHECK(again->path == url.path);
  FUZZ_CHECK(again->user == url.user);
  FUZZ_CHECK(again->password == (url.password.empty() ? "" : "***"));
  FUZZ_CHECK(again->host == url.host);
  FUZZ_CHECK(again->port == url.port);
  FUZZ_CHECK(again->database == url.database);
  auto expected_params = url.params;
  for (auto& [key, value] : expected_params)
    if (is_secret_parameter(key)) value = "***";
  FUZZ_CHECK(again->params == expected_params);
  FUZZ_CHECK(again->masked() == masked);
}

// scheme://user:password@rest, where the password is told apart by a marker
// that nothing else in the URL contains.
void check_password_hidden(FuzzedDataProvider& input) {
  static constexpr const char* kSchemes[] = {"postgres", "postgresql", "mysql", "mariadb",
                                             "sqlite",   "Postgres",   "pg"};
  std::string scheme = input.PickValueInArray(kSchemes);
  std::string user = input.ConsumeRandomLengthString(32);
  std::string password = "Pw!" + input.ConsumeRandomLengthString(32);
  std::string rest = input.ConsumeRemainingBytesAsString();
  std::string others = scheme + user + rest;
  if (others.find("Pw!") != std::string::npos) return;
  auto url = parse_database_url(scheme + "://" + user + ":" + password + "@" + rest);
  if (!url) {
    FUZZ_CHECK(url.error().message.find(password) == std::string::npos);
    FUZZ_CHECK(url.error().hint.find(password) == std::string::npos);
    return;
  }
  // A SQLite URL is a file name, shown as given: it has no password.
  if (url->kind != DatabaseKind::kSqlite)
    FUZZ_CHECK(url->masked().find("Pw!") == std::string::npos);
}

}  // namespace
}  // namespace migrate::fuzz

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, size_t size) {
  using namespace migrate;
  if (size > 0 && data[0] == 'P') {
    FuzzedDataProvider input(data + 1, size - 1);
    fuzz::check_password_hidden(input);
    return 0;
  }
  auto url = parse_database_url(fuzz::as_text(data, size));
  if (url) fuzz::check_round_trip(*url);
  return 0;
}

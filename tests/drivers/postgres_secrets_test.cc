// Credentials given as libpq query parameters (?sslpassword=) on a real
// server: the commands work, and neither their output nor the backup
// manifest holds the value.
#include <filesystem>

#include "drivers/postgres_fixture.h"
#include "support/cli_fixture.h"

namespace migrate::testing {
namespace {

TEST_F(PostgresDriverTest, SslpasswordIsNeverPrintedNorStoredInTheManifest) {
  migration("20260101000000", "a", "CREATE TABLE a (id int);");
  const std::string secret = "Sslpass-s3cret-value";
  std::string url =
      url_ + (url_.find('?') == std::string::npos ? "?" : "&") + "sslpassword=" + secret;
  std::string everything;
  for (std::vector<std::string> args :
       {std::vector<std::string>{"up", "--json"}, std::vector<std::string>{"status", "--json"},
        std::vector<std::string>{"backup", "manual"}, std::vector<std::string>{"backups", "--json"},
        std::vector<std::string>{"doctor"}}) {
    args.insert(args.end(), {"--url", url});
    auto r = run_cli(dir_.path(), args);
    SCOPED_TRACE(args.front());
    EXPECT_NE(r.exit_code, 2) << r.err;
    everything += r.out + r.err;
  }
  EXPECT_CONTAINS(everything, "sslpassword=***");
  EXPECT_EQ(everything.find(secret), std::string::npos) << everything;
  EXPECT_EQ(applied(), "20260101000000");

  int manifests = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir_.path() / "backups")) {
    if (entry.path().extension() != ".json") continue;
    ++manifests;
    std::string manifest = read_text(entry.path());
    EXPECT_CONTAINS(manifest, "sslpassword=***");
    EXPECT_EQ(manifest.find(secret), std::string::npos) << manifest;
  }
  EXPECT_EQ(manifests, 2);  // pre-up and manual
}

}  // namespace
}  // namespace migrate::testing

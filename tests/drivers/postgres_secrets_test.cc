// Credentials given as libpq query parameters (?sslpassword=) on a real
// server: the commands work, and neither their output nor the backup
// manifest holds the value.
#include <cstdlib>
#include <filesystem>
#include <map>

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

// A service named in the url (?service=) keeps applying to pg_dump, which
// gets the password through a service file of migrate's own: here the port
// is only in the user's service file (PGSERVICEFILE, or ~/.pg_service.conf).
TEST_F(PostgresDriverTest, TheUsersServiceFileStillAppliesToBackups) {
  migration("20260101000000", "a", "CREATE TABLE a (id int);");
  size_t at = url_.find('@'), slash = url_.find('/', at);
  size_t colon = url_.find(':', at);
  ASSERT_TRUE(at != std::string::npos && colon < slash) << "the test url names no port";
  std::string port = url_.substr(colon + 1, slash - colon - 1);
  std::string url = url_.substr(0, colon) + url_.substr(slash) +
                    (url_.find('?') == std::string::npos ? "?" : "&") + "service=svcx";
  TempDir home;
  std::string service =
      "# the user's\n[other]\nport=1\n\n[svcx]\nport=" + port + "\n[later]\nport=2\n";
  auto file = home.write("services.conf", service);
  home.write(".pg_service.conf", service);
  for (const auto& [variable, value] :
       {std::pair<std::string, std::string>{"PGSERVICEFILE", file.string()},
        std::pair<std::string, std::string>{"HOME", home.path().string()}}) {
    if (variable == "HOME" && std::getenv("PGSERVICEFILE")) continue;
    std::map<std::string, std::string> env = {{variable, value}, {"DATABASE_URL", url}};
    SCOPED_TRACE(variable);
    auto up = run_cli(dir_.path(), {"up"}, env);
    EXPECT_EQ(up.exit_code, 0) << up.out << up.err;
    auto backup = run_cli(dir_.path(), {"backup", "manual"}, env);
    EXPECT_EQ(backup.exit_code, 0) << backup.out << backup.err;
  }
  EXPECT_EQ(applied(), "20260101000000");
}

}  // namespace
}  // namespace migrate::testing

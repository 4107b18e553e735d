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

// A url may leave the server and the database to its service
// (postgres://user@/?service=NAME); its backups are then the same
// database's as those of the url spelled out, and a service that names no
// database is a usage error.
TEST_F(PostgresDriverTest, AServiceMayNameTheServerAndTheDatabase) {
  migration("20260101000000", "a", "CREATE TABLE a (id int);");
  size_t at = url_.find('@'), slash = url_.find('/', at), colon = url_.find(':', at);
  size_t question = url_.find('?', slash);
  ASSERT_TRUE(at != std::string::npos && colon < slash) << "the test url names no port";
  std::string host = url_.substr(at + 1, colon - at - 1);
  std::string port = url_.substr(colon + 1, slash - colon - 1);
  std::string database = url_.substr(slash + 1, question - slash - 1);
  std::string rest = question == std::string::npos ? "" : "&" + url_.substr(question + 1);
  TempDir home;
  auto file = home.write("services.conf", "[app]\nhost=" + host + "\nport=" + port +
                                              "\ndbname=" + database + "\n[nodb]\nhost=" + host +
                                              "\nport=" + port + "\n");
  std::string user = url_.substr(0, at + 1);  // postgres://user:password@
  std::map<std::string, std::string> env = {{"PGSERVICEFILE", file.string()}};
  auto with = [&](const std::string& service, std::vector<std::string> args) {
    args.insert(args.end(), {"--url", user + "/?service=" + service + rest});
    return run_cli(dir_.path(), args, env);
  };

  auto up = with("app", {"up"});
  ASSERT_EQ(up.exit_code, 0) << up.out << up.err;
  EXPECT_EQ(applied(), "20260101000000");
  auto listed = with("app", {"backups"});
  EXPECT_CONTAINS(listed.out, host + ":" + port + "/" + database);
  ASSERT_EQ(query("CREATE TABLE later (id int)"), "");
  // The pre-up backup, found through the url spelled out.
  auto restore = run_cli(dir_.path(), {"restore", "latest", "--yes", "--no-backup", "--url", url_});
  EXPECT_EQ(restore.exit_code, 0) << restore.out << restore.err;
  EXPECT_EQ(query("SELECT to_regclass('later') IS NULL AND to_regclass('a') IS NULL"), "t");

  auto nodb = with("nodb", {"status"});
  EXPECT_EQ(nodb.exit_code, 2) << nodb.out << nodb.err;
  EXPECT_CONTAINS(nodb.err, "the service 'nodb' names no database");
}

}  // namespace
}  // namespace migrate::testing

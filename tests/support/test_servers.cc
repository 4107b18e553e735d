#include "support/test_servers.h"

#include <cstdlib>

namespace migrate::testing {
namespace {

constexpr const char* kVariables[] = {"MIGRATE_TEST_POSTGRES_URL",
                                      "MIGRATE_TEST_POSTGRES_SOCKET_URL", "MIGRATE_TEST_MYSQL_URL",
                                      "MIGRATE_TEST_MYSQL_SOCKET_URL"};

std::optional<std::string> from_env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

}  // namespace

std::string with_database(const std::string& url, const std::string& name) {
  size_t authority = url.find("://") + 3;
  size_t at = url.rfind('@');
  size_t slash = url.find('/', at == std::string::npos || at < authority ? authority : at + 1);
  size_t query = url.find('?', slash);
  return url.substr(0, slash + 1) + name +
         (query == std::string::npos ? std::string() : url.substr(query));
}

std::optional<std::string> postgres_test_url() {
  return from_env("MIGRATE_TEST_POSTGRES_URL");
}

std::optional<std::string> postgres_socket_test_url() {
  return from_env("MIGRATE_TEST_POSTGRES_SOCKET_URL");
}

std::optional<std::string> mysql_test_url() {
  return from_env("MIGRATE_TEST_MYSQL_URL");
}

std::optional<std::string> mysql_socket_test_url() {
  return from_env("MIGRATE_TEST_MYSQL_SOCKET_URL");
}

bool running_in_ci() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string(ci) == "true";
}

std::string missing_server_message(const std::string& what, bool in_ci) {
  std::string unset;
  for (const char* name : kVariables) {
    if (!from_env(name)) unset += std::string(unset.empty() ? "" : ", ") + name;
  }
  std::string detail = "'" + what + "' is empty; unset: " + (unset.empty() ? "none" : unset);
  if (in_ci) {
    return "the database server is missing in CI (" + detail +
           "). scripts/test.sh starts the servers with scripts/test-servers.sh before ctest: "
           "see its output";
  }
  return "no database server for this test (" + detail +
         "). Start the throwaway servers with  eval \"$(scripts/test-servers.sh start)\"  "
         "(later: scripts/test-servers.sh stop), or run scripts/test.sh";
}

}  // namespace migrate::testing

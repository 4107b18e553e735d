// The throwaway PostgreSQL and MariaDB servers of the integration tests.
// scripts/test.sh starts them around ctest with scripts/test-servers.sh, which
// exports their URLs; each function here returns one, or nullopt when its
// variable is unset or empty:
//
//   postgres_test_url()         MIGRATE_TEST_POSTGRES_URL          (127.0.0.1, TCP)
//   postgres_socket_test_url()  MIGRATE_TEST_POSTGRES_SOCKET_URL   (?host=<socket dir>)
//   mysql_test_url()            MIGRATE_TEST_MYSQL_URL             (127.0.0.1, TCP)
//   mysql_socket_test_url()     MIGRATE_TEST_MYSQL_SOCKET_URL      (?socket=<socket>)
//
// Each server has a login migrate / migrate-test-pw (PostgreSQL: superuser;
// MariaDB: all privileges) and an empty database migrate_test; tests may
// create and drop databases of their own. ctest runs tests in parallel, so a
// test that needs a clean database should create one with a unique name.
//
// In a test body (or SetUp):
//
//   auto url = migrate::testing::postgres_test_url();
//   REQUIRE_SERVER(url);   // skips locally without the server; fails in CI
//   ... use *url ...
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace migrate::testing {

std::optional<std::string> postgres_test_url();
std::optional<std::string> postgres_socket_test_url();
std::optional<std::string> mysql_test_url();
std::optional<std::string> mysql_socket_test_url();

// `url` (postgres://, mysql://, ...) naming database `name` instead of its own;
// its query string is kept.
std::string with_database(const std::string& url, const std::string& name);

// True when the environment variable CI is "true" (as .ci/run sets it).
bool running_in_ci();

// The message REQUIRE_SERVER reports for the missing `what` (the macro's
// argument as written).
std::string missing_server_message(const std::string& what, bool in_ci);

}  // namespace migrate::testing

// Ends the current test function when the optional URL `url` is empty: a
// failure in CI (the server must be there), a skip otherwise. Returns from the
// enclosing function, so use it in the test body or in SetUp(), not in a helper.
#define REQUIRE_SERVER(url)                                                    \
  do {                                                                         \
    if (!(url)) {                                                              \
      if (::migrate::testing::running_in_ci()) {                               \
        FAIL() << ::migrate::testing::missing_server_message(#url, true);      \
      }                                                                        \
      GTEST_SKIP() << ::migrate::testing::missing_server_message(#url, false); \
    }                                                                          \
  } while (false)

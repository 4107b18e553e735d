// Telling the scratch databases of crashed verify runs from those of running
// ones, and from everything else on the server.
#include "conformance/orphans.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

namespace migrate::testing {
namespace {

// The pid of a process that has come and gone.
pid_t finished_process() {
  pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ::waitpid(child, nullptr, 0);
  return child;
}

TEST(OrphanedVerifyDatabasesTest, AreThoseWhoseMigrateIsGone) {
  std::string live = "migrate_verify_" + std::to_string(::getpid()) + "_0badc0de";
  std::string dead = "migrate_verify_" + std::to_string(finished_process()) + "_12345678";
  std::string names = live + "\n" + dead +
                      "\nmigrate_test\nmigrate_verify_\nmigrate_verify_x1_00\n"
                      "migrate_t_42_7\nmigrate_verify_12ab_00\n";
  EXPECT_EQ(orphaned_verify_databases(names), std::vector<std::string>{dead});
  EXPECT_TRUE(orphaned_verify_databases("").empty());
}

}  // namespace
}  // namespace migrate::testing

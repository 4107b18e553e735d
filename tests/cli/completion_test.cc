// Shell completion, through the shells themselves: the scripts `migrate
// completion SHELL` prints parse in bash, zsh and fish, and bash and fish
// offer the commands and flags the CLI defines (a command added to the CLI
// completes without anyone editing a script).
#include "support/cli_fixture.h"
#include "support/shell.h"

namespace migrate::testing {
namespace {

class CompletionTest : public CliTest {
 protected:
  // Writes the script for `shell` into the test directory; returns its path.
  std::string script(const std::string& shell_name) {
    auto r = run({"completion", shell_name});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    dir_.write("completion." + shell_name, r.out);
    return (dir_.path() / ("completion." + shell_name)).string();
  }
  // What bash offers for the command line `words` (the last one being completed).
  std::string bash_offers(const std::string& words) {
    std::string program = "source " + shell_quote(script("bash")) + "; COMP_WORDS=(" + words +
                          "); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); "
                          "_migrate; complete -p migrate >/dev/null && echo \"${COMPREPLY[*]}\"";
    return shell_value("bash -c " + shell_quote(program) + " 2>&1");
  }
  std::string fish_offers(const std::string& line) {
    std::string program = "source " + shell_quote(script("fish")) + "; complete -C " +
                          shell_quote(line) + " | cut -f1 | LC_ALL=C sort | tr '\\n' ' '";
    return shell_value("fish -c " + shell_quote(program) + " 2>&1");
  }
};

TEST_F(CompletionTest, BashOffersCommandsFlagsAndDirectories) {
  EXPECT_EQ(bash_offers("migrate ba"), "baseline backup backups");
  EXPECT_EQ(bash_offers("migrate up --st"), "--step");
  EXPECT_EQ(bash_offers("migrate -d migrations re"), "redo reset restore");
  EXPECT_EQ(bash_offers("migrate help res"), "reset restore");
  EXPECT_EQ(bash_offers("migrate prune --keep-l"), "--keep-last");
  EXPECT_EQ(bash_offers("migrate --url sqlite:x.db ver"), "version verify");
  EXPECT_EQ(bash_offers("migrate completion ''"), "bash zsh fish");
  std::string restore_flags = " " + bash_offers("migrate restore --") + " ";
  EXPECT_CONTAINS(restore_flags, " --no-backup ");
  EXPECT_EQ(restore_flags.find(" --help "), restore_flags.rfind(" --help ")) << restore_flags;
  std::filesystem::create_directory(dir_.path() / "mig-dir");
  dir_.write("mig-file", "");
  EXPECT_EQ(bash_offers("migrate --dir " + (dir_.path() / "mig").string()),
            (dir_.path() / "mig-dir").string());
}

TEST_F(CompletionTest, FishOffersCommandsAndTheirFlags) {
  EXPECT_EQ(fish_offers("migrate ba"), "backup backups baseline ");
  EXPECT_EQ(fish_offers("migrate verify --de"), "--deep ");
}

TEST_F(CompletionTest, EveryScriptParsesInItsShell) {
  EXPECT_EQ(shell_value("bash -n " + shell_quote(script("bash")) + " 2>&1; echo $?"), "0");
  EXPECT_EQ(shell_value("zsh -n " + shell_quote(script("zsh")) + " 2>&1; echo $?"), "0");
  EXPECT_EQ(shell_value("fish -n " + shell_quote(script("fish")) + " 2>&1; echo $?"), "0");
}

TEST_F(CompletionTest, AnUnknownShellIsAUsageError) {
  auto r = run({"completion", "powershell"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_CONTAINS(r.err, "unknown shell 'powershell' (expected bash, zsh or fish)");
  EXPECT_EQ(r.out, "");
}

}  // namespace
}  // namespace migrate::testing

// Runs the built `migrate` binary the way a user would: in a directory, with
// an environment cleared of migrate's variables, no terminal on stdin.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace migrate::testing {

struct CliResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

CliResult run_cli(const std::filesystem::path& cwd, const std::vector<std::string>& args,
                  const std::map<std::string, std::string>& env = {});

// Runs the binary on a pseudo-terminal, typing `input` at it; the result's
// `out` holds everything it printed to the terminal.
CliResult run_cli_in_terminal(const std::filesystem::path& cwd,
                              const std::vector<std::string>& args, const std::string& input,
                              const std::map<std::string, std::string>& env = {});

// Starts the binary without waiting; returns its pid (for concurrency tests).
int spawn_cli(const std::filesystem::path& cwd, const std::vector<std::string>& args,
              const std::filesystem::path& output_file);
// Waits for a spawned process; returns its exit code.
int wait_cli(int pid);

// Starts `count` copies of the binary at once (concurrent runners) and waits
// for all of them; each result's `out` holds what that copy printed (stdout
// and stderr, kept in `cwd`/runner<N>.log).
std::vector<CliResult> run_cli_together(const std::filesystem::path& cwd,
                                        const std::vector<std::string>& args, int count);

}  // namespace migrate::testing

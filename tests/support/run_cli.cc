#include "support/run_cli.h"

#include <fcntl.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

#include "support/temp_dir.h"

extern char** environ;

namespace migrate::testing {
namespace {

// The parent's environment without anything that configures migrate, plus `extra`.
std::vector<std::string> child_environment(const std::map<std::string, std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) {
    std::string entry = *e;
    std::string name = entry.substr(0, entry.find('='));
    if (name.rfind("MIGRATE_", 0) == 0 || name == "DATABASE_URL" || name == "NO_COLOR") continue;
    if (extra.count(name)) continue;
    env.push_back(entry);
  }
  for (const auto& [name, value] : extra) env.push_back(name + "=" + value);
  return env;
}

[[noreturn]] void exec_child(const std::filesystem::path& cwd, const std::vector<std::string>& args,
                             const std::vector<std::string>& env) {
  if (::chdir(cwd.c_str()) != 0) _exit(127);
  std::vector<char*> argv = {const_cast<char*>(MIGRATE_BINARY)};
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  ::execve(MIGRATE_BINARY, argv.data(), envp.data());
  _exit(127);
}

}  // namespace

CliResult run_cli(const std::filesystem::path& cwd, const std::vector<std::string>& args,
                  const std::map<std::string, std::string>& env) {
  TempDir io;
  auto out_path = io.path() / "out", err_path = io.path() / "err";
  auto environment = child_environment(env);
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    int in = ::open("/dev/null", O_RDONLY);
    int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    exec_child(cwd, args, environment);
  }
  CliResult result;
  result.exit_code = wait_cli(pid);
  result.out = read_text(out_path);
  result.err = read_text(err_path);
  return result;
}

CliResult run_cli_in_terminal(const std::filesystem::path& cwd,
                              const std::vector<std::string>& args, const std::string& input,
                              const std::map<std::string, std::string>& env) {
  auto environment = child_environment(env);
  int master = -1;
  pid_t pid = ::forkpty(&master, nullptr, nullptr, nullptr);
  if (pid < 0) throw std::runtime_error("forkpty failed");
  if (pid == 0) exec_child(cwd, args, environment);
  CliResult result;
  std::string typed = input;
  bool sent = false;
  char buffer[4096];
  for (;;) {
    ssize_t n = ::read(master, buffer, sizeof buffer);
    if (n <= 0) break;  // EIO once the child has exited
    result.out.append(buffer, static_cast<size_t>(n));
    if (!sent && result.out.find("Type 'yes'") != std::string::npos) {
      (void)::write(master, typed.data(), typed.size());
      sent = true;
    }
  }
  ::close(master);
  result.exit_code = wait_cli(pid);
  return result;
}

int spawn_cli(const std::filesystem::path& cwd, const std::vector<std::string>& args,
              const std::filesystem::path& output_file) {
  auto environment = child_environment({});
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    int in = ::open("/dev/null", O_RDONLY);
    int out = ::open(output_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(out, 2);
    exec_child(cwd, args, environment);
  }
  return pid;
}

int wait_cli(int pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::vector<CliResult> run_cli_together(const std::filesystem::path& cwd,
                                        const std::vector<std::string>& args, int count) {
  auto log = [&](int i) { return cwd / ("runner" + std::to_string(i) + ".log"); };
  std::vector<int> pids;
  for (int i = 0; i < count; ++i) pids.push_back(spawn_cli(cwd, args, log(i)));
  std::vector<CliResult> results;
  for (int i = 0; i < count; ++i) {
    int exit_code = wait_cli(pids[i]);
    results.push_back({exit_code, read_text(log(i)), ""});
  }
  return results;
}

}  // namespace migrate::testing

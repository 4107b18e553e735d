// Shell completion scripts for bash, zsh and fish, written from the command
// line's own definition (the CLI11 app): a command or flag added there
// completes without anyone editing a script. `migrate completion SHELL`
// prints one; the build installs all three.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace migrate::cli {

// What a flag's value is, from its type name (DIR, FILE): what to offer
// after it.
enum class ValueKind { kNone, kText, kDirectory, kFile };

struct CompletionFlag {
  std::vector<std::string> names;  // "--url", "-u"
  std::string help;
  ValueKind value = ValueKind::kNone;
};

struct CompletionCommand {
  std::string name;
  std::string help;
  std::vector<CompletionFlag> flags;
  std::vector<std::string>
      arguments;  // what its argument may be: `help COMMAND`, `completion SHELL`
};

struct CompletionModel {
  std::vector<CompletionFlag> global;
  std::vector<CompletionCommand> commands;
};

CompletionModel completion_model(const CLI::App& app);

std::string bash_completion(const CompletionModel& model);
std::string zsh_completion(const CompletionModel& model);
std::string fish_completion(const CompletionModel& model);

// The script for `shell` ("bash", "zsh", "fish"), or "" for another shell.
std::string completion_script(std::string_view shell, const CLI::App& app);

}  // namespace migrate::cli

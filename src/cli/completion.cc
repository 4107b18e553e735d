#include "cli/completion.h"

#include <fmt/format.h>

#include <algorithm>

namespace migrate::cli {
namespace {

std::vector<CompletionFlag> flags_of(const CLI::App& app) {
  std::vector<CompletionFlag> flags;
  for (const CLI::Option* option : app.get_options()) {
    if (!option->nonpositional() || option->get_group().empty()) continue;  // hidden
    CompletionFlag flag;
    for (const auto& name : option->get_lnames()) flag.names.push_back("--" + name);
    for (const auto& name : option->get_snames()) flag.names.push_back("-" + name);
    flag.help = option->get_description();
    // Flags expect no value; --wait's is optional, so it completes as a flag.
    if (option->get_expected_min() > 0) {
      std::string type = option->get_type_name();
      flag.value = type == "DIR"    ? ValueKind::kDirectory
                   : type == "FILE" ? ValueKind::kFile
                                    : ValueKind::kText;
    }
    flags.push_back(std::move(flag));
  }
  return flags;
}

std::string joined(const std::vector<CompletionFlag>& flags) {
  std::string words;
  for (const auto& flag : flags)
    for (const auto& name : flag.names) words += (words.empty() ? "" : " ") + name;
  return words;
}

// Names of the flags that take a value of `kind`, anywhere.
std::string value_flags(const CompletionModel& model, ValueKind kind) {
  std::vector<CompletionFlag> matching;
  auto collect = [&](const std::vector<CompletionFlag>& flags) {
    for (const auto& flag : flags)
      if (flag.value == kind) matching.push_back(flag);
  };
  collect(model.global);
  for (const auto& command : model.commands) collect(command.flags);
  std::string words;
  for (const auto& flag : matching)
    for (const auto& name : flag.names)
      if ((" " + words + " ").find(" " + name + " ") == std::string::npos)
        words += (words.empty() ? "" : " ") + name;
  return words;
}

// Single quotes for a shell word.
std::string single_quoted(std::string_view text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

CompletionModel completion_model(const CLI::App& app) {
  CompletionModel model;
  model.global = flags_of(app);
  std::vector<std::string> names;
  for (const CLI::App* sub : app.get_subcommands(std::function<bool(const CLI::App*)>{})) {
    // The global flags (--help among them) are offered once, not per command.
    std::vector<CompletionFlag> own;
    for (auto& flag : flags_of(*sub)) {
      bool global = std::any_of(model.global.begin(), model.global.end(),
                                [&](const CompletionFlag& g) { return g.names == flag.names; });
      if (!global) own.push_back(std::move(flag));
    }
    model.commands.push_back({sub->get_name(), sub->get_description(), std::move(own), {}});
    names.push_back(sub->get_name());
  }
  for (auto& command : model.commands) {
    if (command.name == "help") command.arguments = names;
    if (command.name == "completion") command.arguments = {"bash", "zsh", "fish"};
  }
  return model;
}

std::string bash_completion(const CompletionModel& model) {
  std::string commands;
  for (const auto& command : model.commands)
    commands += (commands.empty() ? "" : " ") + command.name;
  std::string cases;
  for (const auto& command : model.commands) {
    std::string words = joined(command.flags);
    for (const auto& argument : command.arguments) words += " " + argument;
    cases += fmt::format("    {}) words={} ;;\n", command.name, single_quoted(words));
  }
  std::string with_text = value_flags(model, ValueKind::kText);
  std::string with_dir = value_flags(model, ValueKind::kDirectory);
  std::string with_file = value_flags(model, ValueKind::kFile);
  return fmt::format(R"(# bash completion for migrate, written by `migrate completion bash`.
_migrate() {{
  local cur=${{COMP_WORDS[COMP_CWORD]}} prev=${{COMP_WORDS[COMP_CWORD-1]}}
  local dirs={} files={} values={}
  case " $dirs " in *" $prev "*) COMPREPLY=($(compgen -d -- "$cur")); return ;; esac
  case " $files " in *" $prev "*) COMPREPLY=($(compgen -f -- "$cur")); return ;; esac
  case " $values " in *" $prev "*) COMPREPLY=(); return ;; esac
  # The command is the first word that is neither a flag nor a flag's value.
  local command="" i
  for ((i = 1; i < COMP_CWORD; i++)); do
    case ${{COMP_WORDS[i]}} in
      -*) ;;
      *) case " $dirs $files $values " in
           *" ${{COMP_WORDS[i-1]}} "*) ;;
           *) command=${{COMP_WORDS[i]}}; break ;;
         esac ;;
    esac
  done
  local words
  case $command in
    "") if [[ $cur == -* ]]; then words={}; else words={}; fi ;;
{}    *) words="" ;;
  esac
  [[ -n $command && $cur == -* ]] && words="$words "{}
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}}
complete -F _migrate migrate
)",
                     single_quoted(with_dir), single_quoted(with_file), single_quoted(with_text),
                     single_quoted(joined(model.global)), single_quoted(commands), cases,
                     single_quoted(joined(model.global)));
}

std::string zsh_completion(const CompletionModel& model) {
  auto spec = [](const CompletionFlag& flag) {
    std::string action = flag.value == ValueKind::kDirectory ? ":dir:_files -/"
                         : flag.value == ValueKind::kFile    ? ":file:_files"
                         : flag.value == ValueKind::kText    ? ":value: "
                                                             : "";
    std::string help = flag.help;
    for (char& c : help)
      if (c == '[' || c == ']' || c == ':') c = ' ';
    std::string lines;
    for (const auto& name : flag.names)
      lines += fmt::format("    {}\n", single_quoted(fmt::format("{}[{}]{}", name, help, action)));
    return lines;
  };
  std::string global;
  for (const auto& flag : model.global) global += spec(flag);
  std::string described, cases;
  for (const auto& command : model.commands) {
    std::string help = command.help;
    for (char& c : help)
      if (c == ':') c = ' ';
    described += fmt::format("    {}\n", single_quoted(command.name + ":" + help));
    std::string flags;
    for (const auto& flag : command.flags) flags += spec(flag);
    if (command.name == "help") flags += "    '1:command:_migrate_commands'\n";
    if (command.name == "completion") flags += "    '1:shell:(bash zsh fish)'\n";
    cases += fmt::format(
        "    {})\n      _arguments -s \\\n{}      \"${{global[@]}}\" ;;\n", command.name,
        flags.empty() ? "" : [&] {
          std::string continued;
          size_t start = 0;
          while (start < flags.size()) {
            size_t end = flags.find('\n', start);
            continued += flags.substr(start, end - start) + " \\\n";
            start = end + 1;
          }
          return continued;
        }());
  }
  return fmt::format(R"(#compdef migrate
# zsh completion for migrate, written by `migrate completion zsh`.
_migrate_commands() {{
  local -a commands=(
{}  )
  _describe -t commands 'migrate command' commands
}}

_migrate() {{
  local -a global=(
{}  )
  local command=""
  local word
  for word in ${{words[2,CURRENT-1]}}; do
    [[ $word != -* ]] && {{ command=$word; break }}
  done
  if [[ -z $command ]]; then
    _arguments -s "${{global[@]}}" '1:command:_migrate_commands'
    return
  fi
  case $command in
{}    *) _arguments -s "${{global[@]}}" ;;
  esac
}}

_migrate "$@"
)",
                     described, global, cases);
}

std::string fish_completion(const CompletionModel& model) {
  std::string commands;
  for (const auto& command : model.commands)
    commands += (commands.empty() ? "" : " ") + command.name;
  auto line = [](const std::string& condition, const CompletionFlag& flag) {
    std::string out = "complete -c migrate";
    if (!condition.empty()) out += " -n " + single_quoted(condition);
    for (const auto& name : flag.names)
      out += name.starts_with("--") ? " -l " + name.substr(2) : " -s " + name.substr(1);
    if (flag.value == ValueKind::kDirectory) out += " -r -a '(__fish_complete_directories)'";
    if (flag.value == ValueKind::kFile) out += " -r -F";
    if (flag.value == ValueKind::kText) out += " -r -f";
    return out + " -d " + single_quoted(flag.help) + "\n";
  };
  std::string script =
      "# fish completion for migrate, written by `migrate completion fish`.\n"
      "complete -c migrate -f\n";
  for (const auto& flag : model.global) script += line("", flag);
  for (const auto& command : model.commands) {
    script += fmt::format("complete -c migrate -n {} -a {} -d {}\n",
                          single_quoted("not __fish_seen_subcommand_from " + commands),
                          single_quoted(command.name), single_quoted(command.help));
    std::string seen = "__fish_seen_subcommand_from " + command.name;
    for (const auto& flag : command.flags) script += line(seen, flag);
    std::string arguments;
    for (const auto& argument : command.arguments)
      arguments += (arguments.empty() ? "" : " ") + argument;
    if (!arguments.empty()) {
      script += fmt::format("complete -c migrate -n {} -a {}\n", single_quoted(seen),
                            single_quoted(arguments));
    }
  }
  return script;
}

std::string completion_script(std::string_view shell, const CLI::App& app) {
  CompletionModel model = completion_model(app);
  if (shell == "bash") return bash_completion(model);
  if (shell == "zsh") return zsh_completion(model);
  if (shell == "fish") return fish_completion(model);
  return "";
}

}  // namespace migrate::cli

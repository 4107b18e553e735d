// migrate: parse the command line, resolve the configuration, run one
// command, print its result, exit with its code. The only catch-all.
#include <CLI/CLI.hpp>
#include <csignal>
#include <cstring>
#include <exception>
#include <iostream>

#include "cli/command_flags.h"
#include "cli/commands.h"
#include "cli/global_options.h"
#include "cli/output.h"
#include "migrate/url.h"
#include "util/log.h"

namespace {

bool wants_json(int argc, char** argv) {
  for (int i = 1; i < argc; ++i)
    if (std::strcmp(argv[i], "--json") == 0) return true;
  return false;
}

// CLI11 quotes what was typed ("The following argument was not expected:
// postgres://app:pw@db/app"); each argument, and the value of a
// --flag=value or -fVALUE one, is shown masked and with control characters
// escaped.
std::string scrub(std::string message, int argc, char** argv) {
  auto replace_all = [&](const std::string& from, const std::string& to) {
    if (from.empty() || from == to) return;
    for (size_t at = message.find(from); at != std::string::npos; at = message.find(from, at))
      message.replace(at, from.size(), to), at += to.size();
  };
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    replace_all(arg, migrate::mask_url_text(arg));
    if (size_t eq = arg.find('='); arg.starts_with("--") && eq != std::string::npos)
      replace_all(arg.substr(eq + 1), migrate::mask_url_text(arg.substr(eq + 1)));
    else if (arg.size() > 2 && arg[0] == '-' && arg[1] != '-')  // -uVALUE
      replace_all(arg.substr(2), migrate::mask_url_text(arg.substr(2)));
  }
  return message;
}

int run(int argc, char** argv) {
  using namespace migrate;
  // Named here: the usage line shows `migrate`, not the path it was run by.
  CLI::App app{"migrate: database migrations with built-in safety backups", "migrate"};
  app.set_version_flag("--version", std::string("migrate ") + MIGRATE_VERSION);
  app.require_subcommand(1);
  app.fallthrough();
  cli::GlobalOptions global;
  cli::add_global_options(app, global);
  cli::Action action;
  cli::add_commands(app, action);

  // Plain `migrate` is a usage error that shows what the usage is.
  if (argc == 1) {
    std::cout << app.help();
    return exit_code_for(ErrorCode::kUsage);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help, --help-all, --version, `help`
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string message = e.what();
    // CLI11 reports an unknown command as a missing one; name what was typed.
    if (app.get_subcommands().empty() && !app.remaining().empty())
      message = "unknown command '" + app.remaining().front() + "'";
    return cli::emit_error({ErrorCode::kUsage, scrub(message, argc, argv), "see `migrate --help`"},
                           wants_json(argc, argv));
  }

  cli::set_json_output(global.json);
  auto config = cli::resolve(global, cli::command_flags());
  if (!config) return cli::emit_error(config.error(), global.json);
  log::init(config->log_level, config->no_color ? log::Color::kNever : log::Color::kAuto);
  auto output = action(*config);
  if (!output) return cli::emit_error(output.error(), global.json);
  cli::emit(*output, global.json);
  return output->exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  // A file-size limit (ulimit -f) would kill migrate mid-write with no word;
  // ignored, the write fails with EFBIG, which names the file like any error.
  std::signal(SIGXFSZ, SIG_IGN);
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    // Even now, --json keeps its promise of one document on stdout.
    return migrate::cli::emit_error(
        {migrate::ErrorCode::kGeneral, std::string("internal error: ") + e.what(), {}},
        wants_json(argc, argv));
  }
}

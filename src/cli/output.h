// What a command prints: the same result as human text and as one JSON
// document, so that --json never mixes in anything else. Every command's
// result goes through a render_* function here (the backup commands' in
// backup_output.cc); commands compute, this layer formats.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "backup/backup_service.h"
#include "backup/store.h"
#include "migrate/driver.h"
#include "migrate/engine.h"
#include "migrate/url.h"

namespace migrate::cli {

struct Output {
  nlohmann::ordered_json json = nlohmann::ordered_json::object();
  std::string text;  // for stdout, without --json
  int exit_code = 0;
};

Output render_run(const RunReport& report, const DatabaseUrl& url);
enum class Format { kText, kJson };

// Builds only the requested form: status lists can hold thousands of rows.
Output render_status(const StatusReport& report, const DatabaseUrl& url, Format format);
Output render_validate(const ValidateReport& report);
Output render_created(const CreatedMigration& created);
Output render_version();
Output render_doctor(const std::vector<Driver::Check>& checks);

// The backup commands.
Output render_backup(const BackupStore& store, const Manifest& manifest);
struct BackupList {
  const BackupStore& store;
  const BackupStore::Listing& listing;
  std::filesystem::path backup_dir;
  std::string database;  // manifest_database_url() of the configured database
  bool all = false;      // --all: every database's backups
};
Output render_backup_list(const BackupList& list);
Output render_restore(const Manifest& manifest, const RestoreOutcome& outcome);
struct VerifyReport {
  struct Checked {
    std::string id;
    std::string problem;  // "" when the backup checked out
  };
  std::vector<Checked> checked;
  std::vector<std::string> failures;  // every problem, also of damaged backups
  bool deep = false;
};
Output render_verify(const VerifyReport& report);
struct PruneReport {
  std::vector<std::string> pruned;  // or would be, on a dry run
  size_t backups = 0;               // this database's, before pruning
  bool dry_run = false;
};
Output render_prune(const PruneReport& report);

// Whether --json was given (set once by main before any command runs).
void set_json_output(bool json);
bool json_output();

// Prints the output: JSON on stdout with --json, else the text.
void emit(const Output& output, bool json);

// Prints an error (stderr, or {"error": ...} on stdout with --json) and
// returns its exit code.
int emit_error(const Error& error, bool json);

}  // namespace migrate::cli

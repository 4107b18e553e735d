// The backup commands' results as text and JSON (see output.h). Manifests
// are files anyone with access to the store may have edited: their text
// never reaches the terminal raw.
#include <fmt/format.h>

#include <algorithm>

#include "cli/output.h"

namespace migrate::cli {
namespace {

using json = nlohmann::ordered_json;

json manifest_json(const BackupStore& store, const Manifest& m) {
  return {{"id", m.id},
          {"created_at", m.created_at},
          {"label", m.label},
          {"reason", m.reason},
          {"database", m.database},
          {"path", store.artifact_path(m).string()},
          {"size", m.artifact_size},
          {"sha256", m.artifact_sha256},
          {"compression", m.compression},
          {"encryption", m.encryption},
          {"schema_version", m.schema_version},
          {"duration_ms", m.duration_ms}};
}

}  // namespace

Output render_backup(const BackupStore& store, const Manifest& manifest) {
  Output out;
  out.json = manifest_json(store, manifest);
  out.text = fmt::format("backup {}\n  path    {}\n  size    {}\n  sha256  {}\n  took    {} ms\n",
                         manifest.id, printable(store.artifact_path(manifest).string()),
                         human_size(manifest.artifact_size), manifest.artifact_sha256,
                         manifest.duration_ms);
  return out;
}

Output render_backup_list(const BackupList& list) {
  const auto& listing = list.listing;
  size_t database_width = 10;
  for (const auto& m : listing.backups)
    database_width = std::max(database_width, m.database.size() + 2);
  auto row = [&](std::string_view id, std::string_view created, std::string_view label,
                 std::string_view reason, std::string_view database, std::string_view size,
                 std::string_view schema) {
    return fmt::format("{:<40}{:<26}{:<14}{:<10}{:<{}}{:>10}  {}\n", id, created, label, reason,
                       database, database_width, size, schema);
  };
  Output out;
  json backups = json::array(), damaged = json::array();
  out.text = row("ID", "CREATED", "LABEL", "REASON", "DATABASE", "SIZE", "SCHEMA VERSION");
  for (const auto& m : listing.backups) {
    backups.push_back(manifest_json(list.store, m));
    out.text += row(printable(m.id), printable(m.created_at), printable(m.label),
                    printable(m.reason), printable(m.database), human_size(m.artifact_size),
                    m.schema_version.empty() ? "-" : printable(m.schema_version));
  }
  for (const auto& e : listing.damaged) {
    damaged.push_back(e.message);
    out.text += fmt::format("warning: {}\n", printable(e.message));
  }
  if (listing.backups.empty())
    out.text += fmt::format("no backups{} in '{}'\n", list.all ? "" : " of this database",
                            printable(list.backup_dir.string()));
  if (listing.other_databases > 0)
    out.text += fmt::format("{} backup(s) of other databases not shown (--all lists them)\n",
                            listing.other_databases);
  out.json = {{"backup_dir", list.backup_dir.string()},
              {"database", list.database},
              {"backups", backups},
              {"damaged", damaged},
              {"other_databases", listing.other_databases}};
  return out;
}

Output render_restore(const Manifest& manifest, const RestoreOutcome& outcome) {
  Output out;
  out.json = {{"restored", manifest.id},
              {"pre_restore_backup",
               outcome.pre_restore_backup ? json(*outcome.pre_restore_backup) : json(nullptr)},
              {"fingerprint_matches", true},
              {"duration_ms", outcome.duration_ms}};
  out.text = fmt::format("restored {} ({} ms); the database matches the backup's fingerprint\n",
                         manifest.id, outcome.duration_ms);
  if (outcome.pre_restore_backup)
    out.text += fmt::format("backup of the replaced state: {}\n", *outcome.pre_restore_backup);
  return out;
}

Output render_verify(const VerifyReport& report) {
  Output out;
  json results = json::array();
  for (const auto& c : report.checked) {
    results.push_back({{"id", c.id},
                       {"ok", c.problem.empty()},
                       {"problem", c.problem.empty() ? json(nullptr) : json(c.problem)}});
    out.text += c.problem.empty()
                    ? fmt::format("ok      {}{}\n", c.id, report.deep ? " (deep)" : "")
                    : fmt::format("FAILED  {}\n", printable(c.problem));
  }
  // Damaged backups were not checked; their problems are told here.
  for (const auto& m : report.failures)
    if (out.text.find(printable(m)) == std::string::npos)
      out.text += fmt::format("FAILED  {}\n", printable(m));
  out.json = {{"verified", results}, {"failures", report.failures}};
  out.text += fmt::format("{} backup(s) checked, {} problem(s)\n", report.checked.size(),
                          report.failures.size());
  out.exit_code = report.failures.empty() ? 0 : 1;
  return out;
}

Output render_prune(const PruneReport& report) {
  Output out;
  for (const auto& id : report.pruned)
    out.text += fmt::format("{} {}\n", report.dry_run ? "would prune" : "pruned", id);
  out.text += fmt::format("{} of {} backup(s) {}\n", report.pruned.size(), report.backups,
                          report.dry_run ? "would be pruned (dry run)" : "pruned");
  out.json = {{"dry_run", report.dry_run},
              {"pruned", report.pruned},
              {"kept", report.backups - report.pruned.size()}};
  return out;
}

}  // namespace migrate::cli

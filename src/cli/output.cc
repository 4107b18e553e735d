#include "cli/output.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <string_view>

#include "migrate/version.h"

namespace migrate::cli {
namespace {

using json = nlohmann::ordered_json;

json optional_string(const std::optional<std::string>& value) {
  return value ? json(*value) : json(nullptr);
}

std::string plural(size_t n, const char* word) {
  return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s");
}

bool json_requested = false;

// One JSON document even when a string holds bytes that are not UTF-8 (a
// file name, SQL in a legacy encoding): they become U+FFFD rather than an
// exception that would leave stdout empty.
std::string dump(const nlohmann::ordered_json& doc) {
  return doc.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

// Error text for a terminal or a log: every line through printable(), so
// that a quoted value cannot forge lines or escape sequences.
std::string printable_lines(std::string_view text) {
  std::string out;
  for (size_t start = 0; start <= text.size();) {
    size_t newline = std::min(text.find('\n', start), text.size());
    if (start > 0) out += '\n';
    out += printable(text.substr(start, newline - start));
    start = newline + 1;
  }
  return out;
}

}  // namespace

void set_json_output(bool json) {
  json_requested = json;
}
bool json_output() {
  return json_requested;
}

Output render_run(const RunReport& report, const DatabaseUrl& url) {
  Output out;
  bool dry_run = report.execution == Execution::kDryRun;
  json steps = json::array();
  std::int64_t total_ms = report.elapsed_ms;
  for (const auto& step : report.steps) {
    json row = {{"version", step.version},
                {"name", step.name},
                {"file", step.file},
                {"direction", step.direction == Direction::kUp ? "up" : "down"},
                {"duration_ms", step.duration_ms}};
    if (dry_run) {
      json statements = json::array();
      for (const auto& s : step.statements)
        statements.push_back({{"line", s.line}, {"sql", s.text}});
      row["statements"] = statements;
      out.text += fmt::format("-- {} {}\n",
                              step.direction == Direction::kUp ? "apply" : "roll back", step.file);
      for (const auto& s : step.statements) out.text += fmt::format("{};\n", s.text);
    }
    steps.push_back(std::move(row));
  }
  out.json = {{"command", report.command},
              {"database", url.masked()},
              {"dry_run", dry_run},
              {"batch", report.batch},
              {"backup_id", optional_string(report.backup_id)},
              {"migrations", steps}};
  const char* verb = report.command == "seed"       ? "seeded"
                     : report.command == "baseline" ? "recorded"
                     : report.steps.empty() || report.steps.back().direction == Direction::kUp
                         ? "applied"
                         : "rolled back";
  if (report.steps.empty()) {
    out.text += dry_run ? "dry run: nothing to do\n" : "nothing to do\n";
  } else if (dry_run) {
    out.text += fmt::format("dry run: {} would run; nothing was changed\n",
                            plural(report.steps.size(), "file"));
  } else if (report.command == "redo") {
    out.text += fmt::format("redid {} ({} ms)\n", report.steps.back().file, total_ms);
  } else {
    out.text += fmt::format(
        "{} {}{} in {} ms\n", verb,
        plural(report.steps.size(), report.command == "seed" ? "seed file" : "migration"),
        report.batch ? fmt::format(" (batch {})", report.batch) : "", total_ms);
  }
  if (!report.seeds.empty()) {
    json seeds = json::array();
    for (const auto& seed : report.seeds)
      seeds.push_back({{"file", seed.file}, {"duration_ms", seed.duration_ms}});
    out.json["seeds"] = seeds;
    out.text += fmt::format("seeded {}\n", plural(report.seeds.size(), "seed file"));
  }
  if (report.backup_id) out.text += fmt::format("backup: {}\n", *report.backup_id);
  return out;
}

Output render_status(const StatusReport& report, const DatabaseUrl& url, Format format) {
  Output out;
  json rows = json::array();
  std::map<std::string, int> counts;
  auto text = std::back_inserter(out.text);
  if (format == Format::kText)
    fmt::format_to(text, "{:<16}{:<36}{:<9}{:>6}  {}\n", "VERSION", "NAME", "STATE", "BATCH",
                   "APPLIED AT");
  for (const auto& row : report.rows) {
    const char* state = state_name(row.state);
    ++counts[state];
    if (format == Format::kText) {
      fmt::format_to(text, "{:<16}{:<36}{:<9}{:>6}  {}\n", row.version, row.name, state,
                     row.applied ? std::to_string(row.applied->batch) : "",
                     row.applied ? row.applied->applied_at : "");
      continue;
    }
    rows.push_back({{"version", row.version},
                    {"name", row.name},
                    {"state", state},
                    {"batch", row.applied ? json(row.applied->batch) : json(nullptr)},
                    {"applied_at", row.applied ? json(row.applied->applied_at) : json(nullptr)}});
  }
  json summary = json::object();
  for (const char* state : {"applied", "pending", "changed", "missing"})
    summary[state] = counts[state];
  fmt::format_to(text, "{} applied, {} pending, {} changed, {} missing\n", counts["applied"],
                 counts["pending"], counts["changed"], counts["missing"]);
  if (format == Format::kJson)
    out.json = {{"database", url.masked()}, {"migrations", rows}, {"summary", summary}};
  return out;
}

Output render_validate(const ValidateReport& report) {
  Output out;
  json problems = json::array();
  for (const auto& p : report.problems) {
    problems.push_back({{"file", p.file}, {"message", p.message}});
    out.text += fmt::format("problem: {}\n", printable(p.message));
  }
  out.json = {{"valid", report.problems.empty()}, {"problems", problems}};
  out.text += report.problems.empty()
                  ? "valid: no problems found\n"
                  : fmt::format("invalid: {}\n", plural(report.problems.size(), "problem"));
  out.exit_code = report.problems.empty() ? 0 : 3;
  return out;
}

Output render_created(const CreatedMigration& created) {
  Output out;
  out.json = {{"migration", created.migration.string()}, {"rollback", created.rollback.string()}};
  out.text = fmt::format("created {}\ncreated {}\n", created.migration.string(),
                         created.rollback.string());
  return out;
}

Output render_version() {
  Output out;
  out.json["migrate"] = MIGRATE_VERSION;
  out.text = fmt::format("migrate {}\n", MIGRATE_VERSION);
  for (const auto& list : {driver_library_versions(), backup_library_versions()}) {
    for (const auto& [library, v] : list) {
      out.json[library] = v;
      out.text += fmt::format("{} {}\n", library, v);
    }
  }
  return out;
}

Output render_doctor(const std::vector<Driver::Check>& checks) {
  Output out;
  json rows = json::array();
  bool all_ok = true;
  for (const auto& check : checks) {
    all_ok = all_ok && check.ok;
    rows.push_back({{"check", check.name}, {"ok", check.ok}, {"detail", check.detail}});
    out.text += fmt::format("{:<5} {:<18} {}\n", check.ok ? "ok" : "FAIL", check.name,
                            printable(check.detail));
  }
  out.json = {{"ok", all_ok}, {"checks", rows}};
  out.exit_code = all_ok ? 0 : 1;
  return out;
}

void emit(const Output& output, bool json) {
  std::string text = json ? dump(output.json) : output.text;
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

int emit_error(const Error& error, bool json) {
  int code = exit_code_for(error.code);
  if (json) {
    nlohmann::ordered_json doc = {
        {"error",
         {{"code", error_code_name(error.code)},
          {"message", error.message},
          {"hint", error.hint.empty() ? nlohmann::ordered_json(nullptr)
                                      : nlohmann::ordered_json(error.hint)},
          {"exit_code", code}}}};
    std::string text = dump(doc);
    std::fwrite(text.data(), 1, text.size(), stdout);
  } else {
    std::fprintf(stderr, "error: %s\n", printable_lines(error.message).c_str());
    if (!error.hint.empty())
      std::fprintf(stderr, "hint: %s\n", printable_lines(error.hint).c_str());
  }
  std::fflush(stdout);
  return code;
}

}  // namespace migrate::cli

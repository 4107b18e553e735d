// What a command prints: the same result as human text and as one JSON
// document, so that --json never mixes in anything else.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

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

// Whether --json was given (set once by main before any command runs).
void set_json_output(bool json);
bool json_output();

// Prints the output: JSON on stdout with --json, else the text.
void emit(const Output& output, bool json);

// Prints an error (stderr, or {"error": ...} on stdout with --json) and
// returns its exit code.
int emit_error(const Error& error, bool json);

}  // namespace migrate::cli

// Small text helpers shared by the parsers of settings files, migration
// scripts and tool output.
#pragma once

#include <string_view>
#include <vector>

namespace migrate {

// `text` without leading and trailing white space (std::isspace: space, tab,
// newline, carriage return, form feed, vertical tab).
std::string_view trim(std::string_view text);

// `text` without trailing white space, as trim() counts it.
std::string_view trim_end(std::string_view text);

// `text` without leading and trailing spaces and tabs only: the blanks
// around a value on one line of .env, migrate.toml or MIGRATE_RETENTION.
std::string_view trim_blanks(std::string_view text);

// The lines of `text`, split on '\n', each without a '\r' before it (files
// written on Windows); no empty last line for a final newline.
std::vector<std::string_view> split_lines(std::string_view text);

}  // namespace migrate

// The dump tool behind MySQL backups: finding a mariadb-dump (or mysqldump)
// that suits the server, and running it without a shell into a callback.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "drivers/mysql/mysql_connection.h"
#include "migrate/error.h"

namespace migrate::mysql {

struct DumpTool {
  std::filesystem::path path;
  std::string version_line;  // what `--version` printed, trimmed
};

// The version in a `--version` line as major * 10000 + minor * 100 + patch:
// "mariadb-dump  Ver 10.19 Distrib 10.11.6-MariaDB, ..." gives 101106, as
// does "mariadb-dump from 11.4.2-MariaDB, client 10.19 ..." 110402. 0 when
// there is none.
unsigned parse_tool_version(std::string_view line);

// mariadb-dump, else mysqldump, on PATH. kUnsupported when neither is there;
// kRefused when the tool is older than the MariaDB server `conn` is on (it
// may not know every object the server has).
Result<DumpTool> find_dump_tool(st_mysql* conn);

// What a dump holds: the whole database, or only the rows of `tables`.
struct DumpScope {
  enum class Part { kAll, kRows };
  Part part = Part::kAll;
  std::vector<std::string> tables;  // kRows
};

// Runs the tool on `database`: a consistent snapshot (--single-transaction)
// with routines, triggers, events and views, binary values in hex, no dump
// date (so equal databases give equal dumps), every byte to `output`; with
// `scope`, a part of that. Fails when the tool exits non-zero or is killed
// (its stderr in the message), or when `output` fails.
Result<void> run_dump(const DumpTool& tool, const ConnectParams& params,
                      const std::string& database,
                      const std::function<Result<void>(std::string_view)>& output,
                      const DumpScope& scope = {});

}  // namespace migrate::mysql

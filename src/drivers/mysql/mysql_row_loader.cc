#include "drivers/mysql/mysql_row_loader.h"

#include <fmt/format.h>
#include <mysql.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <mutex>
#include <optional>
#include <thread>

#include "drivers/mysql/mysql_dump_format.h"
#include "drivers/mysql/mysql_load_data.h"
#include "util/clock.h"
#include "util/log.h"

namespace migrate::mysql {
namespace {

// What mariadb-dump's header sets, for the sessions that never read it.
constexpr const char* kSessionSettings =
    "SET NAMES utf8mb4, time_zone = '+00:00', foreign_key_checks = 0, unique_checks = 0, "
    "sql_mode = 'NO_AUTO_VALUE_ON_ZERO', sql_notes = 0";

std::string insert_prefix(const std::string& table) {
  return "INSERT INTO " + quote_identifier(table) + " VALUES";
}

// A table's INSERTs turned into LOAD DATA's file, one statement at a time.
class TupleLines : public ByteSource {
 public:
  TupleLines(const TableRows& table, const SpanReader& read, const std::atomic<bool>& stop)
      : table_(table), read_(read), stop_(stop), prefix_(insert_prefix(table.name).size()) {}

  Result<size_t> read(char* buffer, size_t size) override {
    while (at_ == lines_.size()) {
      if (stop_) return fail(ErrorCode::kGeneral, "stopped: another table failed to load");
      if (next_ == table_.inserts.size()) return size_t{0};
      auto statement = read_(table_.inserts[next_++]);
      if (!statement) return tl::unexpected(statement.error());
      lines_.clear();
      at_ = 0;
      append_tuple_lines(*statement, prefix_, lines_);
    }
    size_t n = std::min(size, lines_.size() - at_);
    std::memcpy(buffer, lines_.data() + at_, n);
    at_ += n;
    return n;
  }

 private:
  const TableRows& table_;
  const SpanReader& read_;
  const std::atomic<bool>& stop_;
  size_t prefix_;
  size_t next_ = 0;
  std::string lines_;
  size_t at_ = 0;
};

Result<void> run_inserts(st_mysql* conn, const TableRows& table, const SpanReader& read,
                         const std::atomic<bool>& stop) {
  for (const Span& span : table.inserts) {
    if (stop) return {};
    auto statement = read(span);
    if (!statement) return tl::unexpected(statement.error());
    auto r = exec(conn, *statement, fmt::format("load the rows of table '{}'", table.name));
    if (!r) {
      r.error().message += fmt::format("\n  statement: {}...", statement->substr(0, 100));
      return r;
    }
  }
  return {};
}

Result<void> load_table(st_mysql* conn, const TableRows& table, const SpanReader& read,
                        const std::atomic<bool>& stop) {
  auto started = std::chrono::steady_clock::now();
  Result<void> result;
  if (table.load_data) {
    TupleLines lines(table, read, stop);
    result = load_data(conn, *table.load_data, table.name, lines);
  } else {
    result = run_inserts(conn, table, read, stop);
  }
  log::debug(fmt::format("restore: table '{}': {:.1f} MB with {} in {} ms", table.name,
                         table.bytes / 1e6, table.load_data ? "LOAD DATA" : "INSERTs",
                         elapsed_ms(started)));
  return result;
}

// Chooses LOAD DATA or INSERTs for each table, and pauses the statistics of
// the LOAD DATA ones; returns those paused.
Result<std::vector<std::string>> prepare(st_mysql* conn, std::vector<TableRows>& tables) {
  std::vector<std::string> paused;
  // A server that refuses LOAD DATA LOCAL (MySQL's default) gets INSERTs.
  auto allowed = query(conn, "SELECT @@GLOBAL.local_infile", "ask whether LOAD DATA LOCAL works");
  if (!allowed) return tl::unexpected(allowed.error());
  if (allowed->empty() || allowed->front()[0].value_or("0") != "1") {
    log::debug("restore: the server refuses LOAD DATA LOCAL (local_infile); loading INSERTs");
    return paused;
  }
  // An INSERT longer than the server's max_allowed_packet cannot be sent
  // at all (a row with a large blob, whose hex doubles it); LOAD DATA
  // streams the same row in small packets.
  auto packet = query(conn, "SELECT @@max_allowed_packet", "read max_allowed_packet");
  if (!packet) return tl::unexpected(packet.error());
  std::uint64_t limit = packet->empty() ? 0 : std::stoull(packet->front()[0].value_or("0"));
  auto too_big = [&](const TableRows& table) {
    return std::any_of(table.inserts.begin(), table.inserts.end(),
                       [&](const Span& span) { return span.size + 1024 > limit; });
  };
  for (auto& table : tables) {
    // One INSERT already gets InnoDB's bulk insert into an empty table.
    if (!table.plain || (table.inserts.size() < 2 && !too_big(table))) continue;
    auto statement = load_data_statement(conn, table.name);
    if (!statement) return tl::unexpected(statement.error());
    table.load_data = std::move(*statement);
    if (!table.load_data) continue;
    auto pause = pause_statistics(conn, table.name);
    if (!pause) return tl::unexpected(pause.error());
    if (*pause) paused.push_back(table.name);
  }
  return paused;
}

}  // namespace

void append_tuple_lines(std::string_view statement, size_t prefix, std::string& lines) {
  std::string_view values = statement.substr(std::min(prefix, statement.size()));
  if (!values.starts_with('\n')) {
    // mysqldump's one-line INSERT.
    for_each_tuple(values, [&](std::string_view tuple) {
      lines.append(tuple);
      lines += '\n';
    });
    return;
  }
  // mariadb-dump's row a line, "(...)," and the last "(...)": the dump
  // reader checked that every line is so.
  values.remove_prefix(1);
  lines.reserve(lines.size() + values.size());
  while (!values.empty()) {
    size_t end = values.find('\n');
    std::string_view line = values.substr(0, end);
    size_t cut = line.ends_with("),") ? 2 : line.ends_with(')') ? 1 : 0;
    if (line.size() > cut) {
      lines.append(line.substr(1, line.size() - 1 - cut));
      lines += '\n';
    }
    if (end == std::string_view::npos) break;
    values.remove_prefix(end + 1);
  }
}

Result<void> load_tables(const ConnectParams& params, const std::string& database,
                         std::vector<TableRows> tables, const SpanReader& read, int connections) {
  if (tables.empty()) return {};  // every table empty, or none: no rows to load
  std::stable_sort(tables.begin(), tables.end(),
                   [](const TableRows& a, const TableRows& b) { return a.bytes > b.bytes; });
  std::vector<Connection> conns;
  int wanted = std::min<int>(connections, static_cast<int>(tables.size()));
  for (int i = 0; i < wanted; ++i) {
    auto conn = connect(params, &database, LocalInfile::kAllow);
    if (!conn) return tl::unexpected(conn.error());
    if (auto r = exec(conn->get(), kSessionSettings, "prepare a loading connection"); !r) return r;
    conns.push_back(std::move(*conn));
  }
  auto paused = prepare(conns.front().get(), tables);
  if (!paused) return tl::unexpected(paused.error());
  std::mutex mutex;
  size_t next = 0;
  std::optional<Error> error;
  std::atomic<bool> stop = false;
  auto work = [&](st_mysql* conn) {
    for (;;) {
      const TableRows* table = nullptr;
      {
        std::lock_guard lock(mutex);
        if (error || next == tables.size()) return;
        table = &tables[next++];
      }
      auto r = load_table(conn, *table, read, stop);
      if (!r) {
        std::lock_guard lock(mutex);
        if (!error) error = r.error();
        stop = true;
        return;
      }
    }
  };
  std::vector<std::thread> threads;
  for (auto& conn : conns) threads.emplace_back(work, conn.get());
  for (auto& thread : threads) thread.join();
  for (const auto& name : *paused) {
    auto r = resume_statistics(conns.front().get(), name);
    if (!r && !error) error = r.error();
  }
  if (error) return tl::unexpected(*error);
  return {};
}

}  // namespace migrate::mysql

// Sending a dump's lines to the server (postgres_dump_sender.h).
#include "drivers/postgres/postgres_dump_sender.h"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <algorithm>

#include "drivers/postgres/postgres_dump_guard.h"
#include "drivers/postgres/postgres_errors.h"
#include "util/strings.h"

namespace migrate::postgres {

namespace {

// Statements are sent many at a time: what has gathered goes at the next
// statement_start() past this size, and before every COPY.
constexpr size_t kSendAt = size_t{4} << 20;

// Lines that start a statement in pg_dump's output: its object headers (a
// comment always between statements) and the one-line calls that write
// large objects, which come by the thousand with no header between them.
// (One inside a routine's body would split it: a syntax error, which
// changes nothing.)
bool statement_start(std::string_view line) {
  return line.starts_with("-- Name: ") || line.starts_with("-- Data for Name: ") ||
         line.starts_with("SELECT pg_catalog.lo_open(") ||
         line.starts_with("SELECT pg_catalog.lowrite(") ||
         line.starts_with("SELECT pg_catalog.lo_close(");
}

bool is_copy(std::string_view line) {
  return line.starts_with("COPY ") &&
         (line.ends_with(" FROM stdin;") || line.ends_with(" FROM stdin WITH (FREEZE);"));
}

}  // namespace

Result<void> DumpSender::lines(std::string_view text) {
  while (!text.empty()) {
    if (in_copy_) {
      size_t end = text.starts_with("\\.\n") ? 0 : text.find("\n\\.\n");
      if (end != std::string_view::npos && end > 0) ++end;  // past the newline
      auto rows = text.substr(0, std::min(end, text.size()));
      line_ += static_cast<std::uint64_t>(std::count(rows.begin(), rows.end(), '\n'));
      if (!rows.empty() && PQputCopyData(conn_, rows.data(), static_cast<int>(rows.size())) != 1)
        return failure(nullptr);
      if (end == std::string_view::npos) return {};
      text.remove_prefix(end + 3);
      ++line_;
      in_copy_ = false;
      if (PQputCopyEnd(conn_, nullptr) != 1) return failure(nullptr);
      ResultPtr result(PQgetResult(conn_));
      while (PGresult* rest = PQgetResult(conn_)) PQclear(rest);
      if (PQresultStatus(result.get()) != PGRES_COMMAND_OK) return failure(result.get());
      if (auto r = still_in_transaction(); !r) return r;
      pending_line_ = line_ + 1;
      continue;
    }
    size_t end = text.find('\n');
    auto line = text.substr(0, end);
    text.remove_prefix(std::min(text.size(), end + 1));
    ++line_;
    if (auto r = statement_line(line); !r) return r;
  }
  return {};
}

Result<void> DumpSender::finish() {
  if (in_copy_)
    return fail(ErrorCode::kGeneral, "the backup is incomplete: the dump ends inside a COPY");
  return send(false);
}

Result<void> DumpSender::statement_line(std::string_view line) {
  // psql's guard against meta-commands smuggled into a dump: none runs here.
  if (line.starts_with("\\restrict ") || line.starts_with("\\unrestrict ")) {
    pending_ += '\n';  // line numbers stay the dump's
    return {};
  }
  if (is_copy(line)) {
    pending_.append(line);
    if (auto r = send(true); !r) return r;
    in_copy_ = true;
    return {};
  }
  if (pending_.size() >= kSendAt && statement_start(line)) {
    if (auto r = send(false); !r) return r;
  }
  pending_.append(line);
  pending_.push_back('\n');
  return {};
}

Result<void> DumpSender::send(bool copy) {
  if (pending_.empty()) return {};
  const char* strings = PQparameterStatus(conn_, "standard_conforming_strings");
  if (auto r = check_dump_statements(pending_, !strings || std::string_view(strings) == "on",
                                     pending_line_);
      !r)
    return r;
  bool standard = !strings || std::string_view(strings) == "on";
  size_t completed = 0;
  ResultPtr result = execute(&completed);
  auto status = PQresultStatus(result.get());
  bool ok =
      copy ? status == PGRES_COPY_IN
           : status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY;
  if (!ok && copy && status == PGRES_COMMAND_OK) {
    return fail(
        ErrorCode::kGeneral,
        fmt::format("the dump is damaged: the COPY at line {} did not start a copy", line_));
  }
  if (!ok) return failure(result.get(), failed_statement(completed, standard));
  if (!copy) {
    if (auto r = still_in_transaction(); !r) return r;
  }
  pending_.clear();
  pending_line_ = line_ + 1;
  return {};
}

ResultPtr DumpSender::execute(size_t* completed) {
  if (PQsendQuery(conn_, pending_.c_str()) != 1) return nullptr;
  ResultPtr last;
  while (PGresult* next = PQgetResult(conn_)) {
    last.reset(next);
    auto status = PQresultStatus(next);
    if (status == PGRES_COPY_IN) break;
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY) {
      ++*completed;
      continue;
    }
    while (PGresult* rest = PQgetResult(conn_)) PQclear(rest);  // nothing runs past an error
    break;
  }
  return last;
}

std::optional<size_t> DumpSender::failed_statement(size_t completed, bool standard_strings) const {
  auto offsets = statement_offsets(pending_, standard_strings);
  if (completed < offsets.size()) return offsets[completed];
  return std::nullopt;
}

Result<void> DumpSender::still_in_transaction() {
  if (PQtransactionStatus(conn_) == PQTRANS_INTRANS) return {};
  PQclear(PQexec(conn_, "ROLLBACK"));
  return fail(ErrorCode::kGeneral,
              fmt::format("the backup is not a pg_dump the restore can trust: the dump before "
                          "line {} ended the restore's transaction; what it ran until then {}",
                          line_ + 1, kMayHaveCommitted),
              "compare the database with a backup before relying on it");
}

tl::unexpected<Error> DumpSender::failure(const PGresult* result, std::optional<size_t> statement) {
  std::uint64_t at = in_copy_ ? line_ : pending_line_;
  std::string position = result ? error_field(result, PG_DIAG_STATEMENT_POSITION) : "";
  std::optional<size_t> offset = statement;
  if (!position.empty()) offset = static_cast<size_t>(std::stoull(position));
  if (!in_copy_ && offset) {
    auto end = pending_.begin() + static_cast<std::ptrdiff_t>(std::min(pending_.size(), *offset));
    at += static_cast<std::uint64_t>(std::count(pending_.begin(), end, '\n'));
  }
  if (auto waited = lock_wait_failure(result)) return *waited;
  std::string message =
      result ? describe_error(result, Statement{}) : std::string(trim_end(PQerrorMessage(conn_)));
  return fail(PQstatus(conn_) == CONNECTION_BAD ? ErrorCode::kConnection : ErrorCode::kSql,
              fmt::format("line {} of the dump: {}", at, message));
}

}  // namespace migrate::postgres

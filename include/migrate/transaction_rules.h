// Statements that must not run inside the per-migration transaction.
//
// Checked for every file before anything runs: a statement the
// database refuses inside a transaction (VACUUM, CREATE INDEX CONCURRENTLY, …)
// or one that would end our transaction early (BEGIN, COMMIT, …) in a file
// without `-- migrate:no-transaction` is reported with its line.
#pragma once

#include <optional>
#include <string>

#include "migrate/sql_script.h"

namespace migrate {

struct TransactionConflict {
  Statement statement;
  std::string reason;  // e.g. "VACUUM cannot run inside a transaction"
};

std::optional<TransactionConflict> find_transaction_conflict(const SqlScript& script,
                                                             SqlDialect dialect);

}  // namespace migrate

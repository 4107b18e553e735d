// Retention: which backups `prune` deletes. Pure functions, no I/O.
//
// The rules are restic's and borg's, so that their users need no new words:
// every rule names backups to keep, a backup kept by any rule stays, and the
// rest go. Two safety rules override any policy (README.md, "Backups"): the newest backup
// is never deleted, nor the backup recorded for the latest applied batch —
// the one a rollback would want.
#pragma once

#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "migrate/error.h"

namespace migrate {

struct RetentionPolicy {
  std::optional<int> keep_last = {}, keep_daily = {}, keep_weekly = {}, keep_monthly = {};
  std::optional<std::chrono::seconds> keep_within = {};

  // No rule given.
  bool empty() const {
    return !keep_last && !keep_daily && !keep_weekly && !keep_monthly && !keep_within;
  }
};

// "90m", "12h", "30d", "2w", "1y" (365 days) -> seconds; a positive whole
// number and one unit. Anything else is a kUsage error naming `text`.
Result<std::chrono::seconds> parse_duration(std::string_view text);

// The MIGRATE_RETENTION syntax: "keep-last=5,keep-daily=7,keep-within=30d",
// any subset, each rule at most once; counts are positive integers. Empty
// text gives an empty policy. Errors (kUsage) name the variable and the bad part.
Result<RetentionPolicy> parse_retention(std::string_view text);

struct PruneCandidate {
  std::string id;
  std::chrono::system_clock::time_point created;
};

// Takes complete backups, newest first, and returns the ids to delete, in
// the same order.
//   keep-last N     the N newest;
//   keep-daily N    the newest backup of each of the N most recent UTC days
//                   that have backups; keep-weekly (ISO weeks, Monday first)
//                   and keep-monthly likewise;
//   keep-within D   everything created after now - D.
// The newest backup and ids in `protected_ids` are always kept. An empty
// policy is a kUsage error: prune never guesses what to delete.
Result<std::vector<std::string>> select_prunable(const std::vector<PruneCandidate>& newest_first,
                                                 const RetentionPolicy& policy,
                                                 const std::set<std::string>& protected_ids,
                                                 std::chrono::system_clock::time_point now);

}  // namespace migrate

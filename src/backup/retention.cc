#include "backup/retention.h"

#include <fmt/format.h>

#include <charconv>
#include <cstdint>
#include <functional>

#include "util/strings.h"

namespace migrate {
namespace {

using std::chrono::days;
using std::chrono::system_clock;

constexpr std::string_view kVariable = "MIGRATE_RETENTION";

// A positive whole number of at most `max_digits` digits, or nullopt.
std::optional<std::int64_t> positive_number(std::string_view text, size_t max_digits) {
  if (text.empty() || text.size() > max_digits) return std::nullopt;
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value <= 0) return std::nullopt;
  return value;
}

// Calendar buckets: backups in the same bucket share a key.
using BucketKey = std::function<std::int64_t(system_clock::time_point)>;

std::int64_t day_key(system_clock::time_point t) {
  return std::chrono::floor<days>(t).time_since_epoch().count();
}

// ISO weeks start on Monday; the Monday's day number names the week.
std::int64_t week_key(system_clock::time_point t) {
  auto day = std::chrono::floor<days>(t);
  unsigned weekday = std::chrono::weekday(day).iso_encoding();  // Monday = 1
  return (day - days(weekday - 1)).time_since_epoch().count();
}

std::int64_t month_key(system_clock::time_point t) {
  std::chrono::year_month_day date{std::chrono::floor<days>(t)};
  return static_cast<std::int64_t>(static_cast<int>(date.year())) * 12 +
         static_cast<unsigned>(date.month());
}

// Keeps the newest backup of each of the `count` most recent buckets.
void keep_per_bucket(const std::vector<PruneCandidate>& newest_first, int count,
                     const BucketKey& key, std::vector<bool>& keep) {
  std::set<std::int64_t> seen;
  for (size_t i = 0; i < newest_first.size() && seen.size() < static_cast<size_t>(count); ++i)
    if (seen.insert(key(newest_first[i].created)).second) keep[i] = true;
}

}  // namespace

Result<std::chrono::seconds> parse_duration(std::string_view text) {
  using std::chrono::seconds;
  auto invalid = [&] {
    return fail(ErrorCode::kUsage, fmt::format("invalid duration '{}'", text),
                "use a whole number and a unit: 90m (minutes), 12h, 30d, 2w or 1y");
  };
  if (text.size() < 2) return invalid();
  // Nine digits keep even "999999999y" far from overflowing.
  auto number = positive_number(text.substr(0, text.size() - 1), 9);
  if (!number) return invalid();
  std::int64_t unit = 0;
  switch (text.back()) {
    case 'm':
      unit = 60;
      break;
    case 'h':
      unit = 3600;
      break;
    case 'd':
      unit = 86400;
      break;
    case 'w':
      unit = 7 * 86400;
      break;
    case 'y':
      unit = 365 * 86400;
      break;
    default:
      return invalid();
  }
  return seconds(*number * unit);
}

Result<RetentionPolicy> parse_retention(std::string_view text) {
  RetentionPolicy policy;
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view part = trim_blanks(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    if (part.empty()) continue;
    auto bad = [&](std::string_view what) {
      return fail(ErrorCode::kUsage, fmt::format("invalid {} part '{}': {}", kVariable, part, what),
                  "example: keep-last=5,keep-daily=7,keep-weekly=4,keep-monthly=6,keep-within=30d");
    };
    size_t equals = part.find('=');
    if (equals == std::string_view::npos) return bad("expected rule=value");
    std::string_view rule = trim_blanks(part.substr(0, equals));
    std::string_view value = trim_blanks(part.substr(equals + 1));
    if (rule == "keep-within") {
      if (policy.keep_within) return bad("'keep-within' is given twice");
      auto duration = parse_duration(value);
      if (!duration) return bad(duration.error().message);
      policy.keep_within = *duration;
      continue;
    }
    std::optional<int>* slot = rule == "keep-last"      ? &policy.keep_last
                               : rule == "keep-daily"   ? &policy.keep_daily
                               : rule == "keep-weekly"  ? &policy.keep_weekly
                               : rule == "keep-monthly" ? &policy.keep_monthly
                                                        : nullptr;
    if (!slot)
      return bad(
          fmt::format("unknown rule '{}' (known: keep-last, keep-daily, keep-weekly, "
                      "keep-monthly, keep-within)",
                      rule));
    if (*slot) return bad(fmt::format("'{}' is given twice", rule));
    auto count = positive_number(value, 6);
    if (!count) return bad(fmt::format("'{}' needs a positive whole number", rule));
    *slot = static_cast<int>(*count);
  }
  return policy;
}

Result<std::vector<std::string>> select_prunable(const std::vector<PruneCandidate>& newest_first,
                                                 const RetentionPolicy& policy,
                                                 const std::set<std::string>& protected_ids,
                                                 system_clock::time_point now) {
  if (policy.empty())
    return fail(ErrorCode::kUsage,
                "prune needs a policy: give --keep-last, --keep-daily, --keep-weekly, "
                "--keep-monthly or --keep-within, or set MIGRATE_RETENTION",
                "for example: migrate prune --keep-last 10 --keep-within 30d");
  // Flags reach here unchecked; a zero or negative count would read as "keep
  // nothing" (or, cast, "keep everything"), so it is refused.
  const std::pair<const char*, const std::optional<int>&> counts[] = {
      {"--keep-last", policy.keep_last},
      {"--keep-daily", policy.keep_daily},
      {"--keep-weekly", policy.keep_weekly},
      {"--keep-monthly", policy.keep_monthly}};
  for (const auto& [flag, count] : counts)
    if (count && *count < 1)
      return fail(ErrorCode::kUsage,
                  fmt::format("{} needs a positive whole number, not {}", flag, *count));
  if (policy.keep_within && policy.keep_within->count() <= 0)
    return fail(ErrorCode::kUsage, "--keep-within needs a positive duration");
  std::vector<bool> keep(newest_first.size(), false);
  if (!keep.empty()) keep[0] = true;  // the newest backup, whatever the policy
  if (policy.keep_last)
    for (size_t i = 0; i < keep.size() && i < static_cast<size_t>(*policy.keep_last); ++i)
      keep[i] = true;
  if (policy.keep_daily) keep_per_bucket(newest_first, *policy.keep_daily, day_key, keep);
  if (policy.keep_weekly) keep_per_bucket(newest_first, *policy.keep_weekly, week_key, keep);
  if (policy.keep_monthly) keep_per_bucket(newest_first, *policy.keep_monthly, month_key, keep);
  if (policy.keep_within) {
    auto cutoff = now - *policy.keep_within;
    for (size_t i = 0; i < keep.size(); ++i)
      if (newest_first[i].created > cutoff) keep[i] = true;
  }
  std::vector<std::string> prunable;
  for (size_t i = 0; i < keep.size(); ++i)
    if (!keep[i] && !protected_ids.count(newest_first[i].id))
      prunable.push_back(newest_first[i].id);
  return prunable;
}

}  // namespace migrate

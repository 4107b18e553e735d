#include "engine/fake_driver.h"

#include <fmt/format.h>

#include "util/crypto.h"

namespace migrate::testing {
namespace {

// Strings are written as "<length>:<bytes>" so that any text survives.
void put(std::string& out, std::string_view text) {
  out += fmt::format("{}:", text.size());
  out += text;
}

class Reader {
 public:
  explicit Reader(const std::string& text) : text_(text) {}
  bool at_end() const { return pos_ >= text_.size(); }
  std::optional<char> tag() { return at_end() ? std::nullopt : std::optional(text_[pos_++]); }
  std::optional<std::string> string() {
    size_t colon = text_.find(':', pos_);
    if (colon == std::string::npos) return std::nullopt;
    size_t size = std::stoul(text_.substr(pos_, colon - pos_));
    if (colon + 1 + size > text_.size()) return std::nullopt;
    pos_ = colon + 1 + size;
    return text_.substr(colon + 1, size);
  }

 private:
  const std::string& text_;
  size_t pos_ = 0;
};

Result<std::string> read_all(ByteSource& source) {
  std::string text;
  char buffer[4096];
  for (;;) {
    auto n = source.read(buffer, sizeof buffer);
    if (!n) return tl::unexpected(n.error());
    if (*n == 0) return text;
    text.append(buffer, *n);
  }
}

}  // namespace

std::string serialize(const FakeDriver::State& state) {
  std::string out = state.tracking_table ? "T" : "N";
  for (const auto& statement : state.statements) {
    out += 'S';
    put(out, statement);
  }
  for (const auto& [version, row] : state.tracking) {
    out += 'R';
    for (const std::string& field : {row.version, row.name, row.checksum, std::to_string(row.batch),
                                     row.applied_at, std::to_string(row.duration_ms)})
      put(out, field);
    put(out, row.backup_id ? "+" + *row.backup_id : "-");
  }
  return out;
}

Result<FakeDriver::State> deserialize(const std::string& text) {
  auto bad = [] { return fail(ErrorCode::kIo, "not a fake database snapshot"); };
  Reader in(text);
  FakeDriver::State state;
  auto first = in.tag();
  if (!first || (*first != 'T' && *first != 'N')) return bad();
  state.tracking_table = *first == 'T';
  while (auto tag = in.tag()) {
    if (*tag == 'S') {
      auto statement = in.string();
      if (!statement) return bad();
      state.statements.push_back(*statement);
    } else if (*tag == 'R') {
      std::vector<std::string> fields;
      for (int i = 0; i < 7; ++i) {
        auto field = in.string();
        if (!field || field->empty()) return bad();
        fields.push_back(*field);
      }
      AppliedMigration row{fields[0],   fields[1],
                           fields[2],   std::stoll(fields[3]),
                           fields[4],   std::stoll(fields[5]),
                           std::nullopt};
      if (fields[6][0] == '+') row.backup_id = fields[6].substr(1);
      state.tracking[row.version] = row;
    } else {
      return bad();
    }
  }
  return state;
}

ContentFingerprint fingerprint_of(const FakeDriver::State& state) {
  ContentFingerprint fp;
  std::string bytes = serialize(state);
  fp.schema_sha256 = sha256_hex(state.tracking_table ? "tracking table" : "");
  fp.tables.push_back(
      {"statements", static_cast<std::int64_t>(state.statements.size()), sha256_hex(bytes)});
  return fp;
}

bool operator==(const FakeDriver::State& a, const FakeDriver::State& b) {
  return serialize(a) == serialize(b);
}

void PrintTo(const FakeDriver::State& state, std::ostream* out) {
  *out << serialize(state);
}

std::vector<std::string> FakeDriver::applied_versions() const {
  std::vector<std::string> versions;
  for (const auto& [version, row] : state_.tracking) versions.push_back(version);
  return versions;
}

Result<void> FakeDriver::acquire_lock(std::chrono::milliseconds) {
  journal_.push_back("lock");
  if (lock_held_elsewhere_)
    return fail(ErrorCode::kLock, "the fake lock is held by another runner");
  lock_held_ = true;
  return {};
}

void FakeDriver::release_lock() {
  if (!lock_held_) return;
  journal_.push_back("unlock");
  lock_held_ = false;
}

Result<void> FakeDriver::ensure_tracking_table() {
  journal_.push_back("ensure");
  state_.tracking_table = true;
  return {};
}

Result<std::vector<AppliedMigration>> FakeDriver::applied_migrations() {
  std::vector<AppliedMigration> rows;
  for (const auto& [version, row] : state_.tracking) rows.push_back(row);
  return rows;
}

Result<void> FakeDriver::record_applied(const AppliedMigration& row) {
  journal_.push_back("record " + row.version);
  if (!state_.tracking_table) return fail(ErrorCode::kSql, "no tracking table");
  state_.tracking[row.version] = row;
  return {};
}

Result<void> FakeDriver::remove_applied(std::string_view version) {
  journal_.push_back(fmt::format("remove {}", version));
  state_.tracking.erase(std::string(version));
  return {};
}

Result<void> FakeDriver::begin() {
  journal_.push_back("begin");
  if (saved_) return fail(ErrorCode::kSql, "a transaction is already open");
  saved_ = state_;
  return {};
}

Result<void> FakeDriver::commit() {
  journal_.push_back("commit");
  if (!saved_) return fail(ErrorCode::kSql, "no transaction is open");
  saved_.reset();
  return {};
}

Result<void> FakeDriver::rollback() {
  journal_.push_back("rollback");
  if (!saved_) return fail(ErrorCode::kSql, "no transaction is open");
  // Without transactional DDL what the statements did stays; only the
  // tracking rows (ordinary rows) go back.
  if (transactional_ddl_)
    state_ = std::move(*saved_);
  else
    state_.tracking = std::move(saved_->tracking);
  saved_.reset();
  return {};
}

Result<void> FakeDriver::execute(const Statement& statement) {
  journal_.push_back("exec " + statement.text);
  if (!failing_text_.empty() && statement.text.find(failing_text_) != std::string::npos)
    return fail(ErrorCode::kSql, "fake failure: " + failing_text_);
  state_.statements.push_back(statement.text);
  return {};
}

Result<void> FakeDriver::drop_all_objects() {
  journal_.push_back("drop all");
  state_ = State{};
  return {};
}

Result<std::uint64_t> FakeDriver::database_size() {
  return serialize(state_).size();
}

Result<SnapshotInfo> FakeDriver::snapshot(ByteSink& sink, const std::filesystem::path&) {
  journal_.push_back("snapshot");
  std::string bytes = serialize(state_);
  if (auto r = sink.write(bytes); !r) return tl::unexpected(r.error());
  if (auto r = sink.finish(); !r) return tl::unexpected(r.error());
  return SnapshotInfo{bytes.size(), fingerprint_of(state_)};
}

Result<void> FakeDriver::restore(ByteSource& source, const std::filesystem::path&,
                                 const ContentFingerprint* expected) {
  journal_.push_back("restore");
  auto text = read_all(source);
  if (!text) return tl::unexpected(text.error());
  auto restored = deserialize(*text);
  if (!restored) return tl::unexpected(restored.error());
  if (expected) {
    if (auto diff = describe_difference(*expected, fingerprint_of(*restored)); !diff.empty())
      return fail(ErrorCode::kRefused, diff);
  }
  state_ = std::move(*restored);
  return {};
}

Result<ContentFingerprint> FakeDriver::fingerprint() {
  return fingerprint_of(state_);
}

Result<ContentFingerprint> FakeDriver::fingerprint_snapshot(ByteSource& source,
                                                            const std::filesystem::path&) {
  auto text = read_all(source);
  if (!text) return tl::unexpected(text.error());
  auto state = deserialize(*text);
  if (!state) return tl::unexpected(state.error());
  return fingerprint_of(*state);
}

}  // namespace migrate::testing

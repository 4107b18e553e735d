// SQLite in the conformance suite: a database file in the test's directory,
// the sqlite3 shell to query and .dump it.
//
// SQLite has no routines, sequences of their own, types or COMMENT: its
// counterparts are a view computing a text with blank lines, AUTOINCREMENT's
// sqlite_sequence, CHECK constraints, and SQL comments kept in the schema.
#include "conformance/dialect.h"
#include "support/shell.h"

namespace migrate::testing {
namespace {

class SqliteTarget : public ScratchTarget {
 public:
  explicit SqliteTarget(const TempDir& dir) : path_((dir.path() / "app.db").string()) {
    // A zero-length file: an empty database, as a new application has.
    created_ = shell_value("touch " + shell_quote(path_) + " 2>&1");
  }
  std::string url() const override { return "sqlite:" + path_; }
  std::string creation_output() const override { return created_; }
  std::string query(const std::string& sql) const override {
    return shell_value("sqlite3 -batch " + shell_quote(path_) + " " + shell_quote(sql) + " 2>&1");
  }
  std::string dump() const override {
    return shell("sqlite3 -batch " + shell_quote(path_) + " .dump 2>&1");
  }

 private:
  std::string path_, created_;
};

// A view whose text and result hold blank lines: SQLite's nearest thing
// to a routine.
constexpr const char* kGreeting = R"sql(
CREATE VIEW greetings AS
SELECT name,

       'Dear ' || name || ',

see you soon.' AS greeting
FROM (SELECT 'Ada' AS name UNION ALL SELECT 'Alan' UNION ALL SELECT 'Grace');
)sql";

constexpr const char* kEveryObject = R"sql(
CREATE TABLE patients (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  email TEXT NOT NULL,
  name TEXT NOT NULL,
  born TEXT CHECK (born > '1900-01-01'),
  active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
  -- free text, may hold blank lines
  notes TEXT DEFAULT '',
  email_domain TEXT GENERATED ALWAYS AS (substr(email, instr(email, '@') + 1)) VIRTUAL
);
CREATE UNIQUE INDEX patients_email ON patients (lower(email));

CREATE TABLE doctors (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  specialty TEXT NOT NULL DEFAULT 'general'
) STRICT;

CREATE TABLE appointments (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  patient_id INTEGER NOT NULL REFERENCES patients (id) ON DELETE CASCADE,
  doctor_id INTEGER NOT NULL REFERENCES doctors (id),
  kind TEXT NOT NULL DEFAULT 'checkup' CHECK (kind IN ('checkup', 'follow_up', 'emergency')),
  starts_at TEXT NOT NULL,
  minutes INTEGER NOT NULL CHECK (minutes BETWEEN 5 AND 240),
  cancelled INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX appointments_upcoming ON appointments (starts_at) WHERE cancelled = 0;

CREATE VIRTUAL TABLE notes_search USING fts5 (name, notes);

CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE audit_log (id INTEGER PRIMARY KEY AUTOINCREMENT, what TEXT NOT NULL);

CREATE TRIGGER appointments_logged AFTER INSERT ON appointments
BEGIN
  -- the blank line below is part of the trigger

  INSERT INTO audit_log (what) VALUES ('INSERT appointment ' || NEW.id);
END;

CREATE VIEW upcoming AS
  SELECT a.id, p.name AS patient, d.name AS doctor, a.starts_at
  FROM appointments a JOIN patients p ON p.id = a.patient_id JOIN doctors d ON d.id = a.doctor_id
  WHERE a.cancelled = 0;

INSERT INTO patients (email, name, born, notes) VALUES
  ('ada@example.com', 'Ada', '1985-12-10', 'prefers mornings'),
  ('alan@example.com', 'Alan', '1972-06-23', 'first line

after a blank line'),
  ('grace@example.com', 'Grace', '1956-12-09', NULL);
INSERT INTO doctors (name, specialty) VALUES ('Dr. Grey', 'cardiology');
INSERT INTO doctors (name) VALUES ('Dr. House');
INSERT INTO notes_search SELECT name, notes FROM patients;
INSERT INTO settings VALUES ('opening_hours', '08:00-18:00'), ('reminder_days', '2');
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200)
  INSERT INTO appointments (patient_id, doctor_id, kind, starts_at, minutes, cancelled)
  SELECT 1 + i % 3, 1 + i % 2, CASE i % 3 WHEN 0 THEN 'checkup' WHEN 1 THEN 'follow_up'
         ELSE 'emergency' END, datetime('2026-01-01 08:00:00', '+' || i || ' hours'),
         5 + i % 60, i % 7 = 0
  FROM n;
DELETE FROM appointments WHERE id > 190;
)sql";

constexpr const char* kChanges = R"sql(
CREATE TABLE later_rooms (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE);
CREATE INDEX later_patients_active ON patients (name) WHERE active = 1;
CREATE INDEX later_appointments_day ON appointments (date(starts_at));
CREATE VIEW later_rooms_in_use AS SELECT * FROM later_rooms WHERE id IN (SELECT id FROM appointments);
CREATE TRIGGER later_trim_name BEFORE UPDATE OF name ON patients
BEGIN
  SELECT RAISE(ABORT, 'empty name') WHERE trim(NEW.name) = '';
END;
DROP VIEW greetings;
CREATE VIEW greetings AS SELECT 'Ada' AS name, 'changed' AS greeting;
INSERT INTO later_rooms (name) VALUES ('room 1'), ('room 2');
INSERT INTO appointments (patient_id, doctor_id, starts_at, minutes)
  VALUES (1, 1, '2026-06-01 09:00:00', 30), (2, 2, '2026-06-01 10:00:00', 15);
UPDATE patients SET name = upper(name), notes = 'changed';
DELETE FROM audit_log WHERE id % 2 = 0;
INSERT INTO notes_search VALUES ('later', 'a note written after the backup');
UPDATE settings SET value = '09:00-17:00' WHERE key = 'opening_hours';
)sql";

constexpr const char* kFailingFirst = R"sql(
CREATE TABLE patients (id INTEGER PRIMARY KEY, email TEXT NOT NULL);
INSERT INTO patients (email) VALUES (NULL);
)sql";

}  // namespace

const Dialect& sqlite_dialect() {
  static const Dialect dialect{
      .name = "sqlite",
      .server = [] { return std::optional<std::string>(""); },
      .create = [](const std::string&, const TempDir& dir) -> std::unique_ptr<ScratchTarget> {
        return std::make_unique<SqliteTarget>(dir);
      },
      .every_object = std::string(kEveryObject) + kGreeting,
      .routine = kGreeting,
      .changes = kChanges,
      .failing_first = kFailingFirst,
      .greeting = "SELECT replace(greeting, char(10), '|') FROM greetings WHERE name = 'Ada'",
      .sequences =
          "SELECT group_concat(name || '=' || seq, ',') FROM "
          "(SELECT name, seq FROM sqlite_sequence ORDER BY name)",
      .later_objects =
          "SELECT type || ' ' || name FROM sqlite_master WHERE name LIKE 'later%' "
          "UNION ALL SELECT 'sqlite_sequence ' || name FROM sqlite_sequence "
          "WHERE name LIKE 'later%'",
      .dumped_names = {"CREATE TABLE patients", "CREATE UNIQUE INDEX patients_email",
                       "CREATE INDEX appointments_upcoming", "WITHOUT ROWID",
                       "CREATE VIRTUAL TABLE notes_search USING fts5", "STRICT",
                       "CREATE TRIGGER appointments_logged", "CREATE VIEW greetings",
                       "INSERT INTO sqlite_sequence", "-- free text, may hold blank lines"},
  };
  return dialect;
}

}  // namespace migrate::testing

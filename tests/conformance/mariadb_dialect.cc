// MariaDB in the conformance suite: a database of the test's own on the test
// server, the mariadb client to query it and mariadb-dump (routines,
// triggers and events included) to compare states.
//
// MariaDB has no partial or expression indexes: an index on a generated
// column stands in for the latter. Routines come with DELIMITER, as
// applications write them.
#include <regex>

#include "conformance/dialect.h"
#include "support/mysql_server.h"

namespace migrate::testing {
namespace {

class MariadbTarget : public ScratchTarget {
 public:
  explicit MariadbTarget(const std::string& server) : database_(server) {}
  std::string url() const override { return database_.url(); }
  std::string creation_output() const override { return database_.creation_output(); }
  std::string query(const std::string& sql) const override { return mysql_query(url(), sql); }
  // Without the tables' AUTO_INCREMENT counters, so that equal contents
  // give equal dumps; the `sequences` query checks the counters on their own.
  std::string dump() const override {
    static const std::regex counter(" AUTO_INCREMENT=[0-9]+");
    return std::regex_replace(mysql_dump(url()), counter, "");
  }

 private:
  MysqlScratchDatabase database_;
};

// A function whose body and result hold blank lines, as a client-style
// DELIMITER block.
constexpr const char* kGreeting = R"sql(
DELIMITER $$
CREATE FUNCTION greeting(patient varchar(100)) RETURNS text DETERMINISTIC
BEGIN
  DECLARE salutation text DEFAULT CONCAT('Dear ', patient, ',');

  -- the blank lines in this body and in the result are part of the function

  RETURN CONCAT(salutation, '

see you soon.');
END $$
DELIMITER ;
)sql";

constexpr const char* kTypesAndTables = R"sql(
CREATE TABLE patients (
  id int AUTO_INCREMENT PRIMARY KEY,
  email varchar(120) NOT NULL,
  name varchar(100) NOT NULL,
  born date CHECK (born > '1900-01-01'),
  active tinyint(1) NOT NULL DEFAULT 1,
  notes text DEFAULT '' COMMENT 'free text, may hold blank lines',
  email_domain varchar(120) AS (substring_index(email, '@', -1)) VIRTUAL,
  UNIQUE KEY patients_email (email),
  KEY patients_domain (email_domain),
  FULLTEXT KEY patients_notes (notes)
) ENGINE=InnoDB COMMENT='people we treat';

CREATE TABLE doctors (
  id int AUTO_INCREMENT PRIMARY KEY,
  name varchar(100) NOT NULL UNIQUE,
  specialty varchar(40) NOT NULL DEFAULT 'general'
) ENGINE=InnoDB;

CREATE SEQUENCE invoice_number START WITH 1000 INCREMENT BY 10 NOCACHE;

CREATE TABLE appointments (
  id bigint AUTO_INCREMENT PRIMARY KEY,
  patient_id int NOT NULL,
  doctor_id int NOT NULL,
  kind enum('checkup', 'follow_up', 'emergency') NOT NULL DEFAULT 'checkup',
  starts_at datetime NOT NULL,
  minutes int NOT NULL,
  invoice_no int,
  cancelled tinyint(1) NOT NULL DEFAULT 0,
  KEY appointments_start (starts_at),
  CONSTRAINT appointment_length CHECK (minutes BETWEEN 5 AND 240),
  CONSTRAINT fk_appointment_patient FOREIGN KEY (patient_id) REFERENCES patients (id)
    ON DELETE CASCADE,
  CONSTRAINT fk_appointment_doctor FOREIGN KEY (doctor_id) REFERENCES doctors (id)
) ENGINE=InnoDB;

CREATE TABLE audit_log (id bigint AUTO_INCREMENT PRIMARY KEY, what varchar(200) NOT NULL)
  ENGINE=InnoDB;

)sql";

constexpr const char* kRoutinesViewsAndRows = R"sql(
DELIMITER $$
CREATE PROCEDURE cancel_appointment(IN appointment bigint)
BEGIN
  UPDATE appointments SET cancelled = 1 WHERE id = appointment;
  INSERT INTO audit_log (what) VALUES (CONCAT('cancelled ', appointment));
END $$

CREATE TRIGGER appointments_numbered BEFORE INSERT ON appointments FOR EACH ROW
BEGIN
  IF NEW.invoice_no IS NULL THEN
    SET NEW.invoice_no = NEXT VALUE FOR invoice_number;
  END IF;
END $$

CREATE TRIGGER appointments_logged AFTER INSERT ON appointments FOR EACH ROW
  INSERT INTO audit_log (what) VALUES (CONCAT('INSERT appointment ', NEW.id)) $$
DELIMITER ;

CREATE EVENT purge_audit_log ON SCHEDULE EVERY 1 DAY STARTS '2026-01-01 03:00:00' DISABLE
  COMMENT 'keeps the log short' DO DELETE FROM audit_log WHERE id < 0;

INSERT INTO patients (email, name, born, notes) VALUES
  ('ada@example.com', 'Ada', '1985-12-10', 'prefers mornings'),
  ('alan@example.com', 'Alan', '1972-06-23', 'first line

after a blank line'),
  ('grace@example.com', 'Grace', '1956-12-09', NULL);
INSERT INTO doctors (name, specialty) VALUES ('Dr. Grey', 'cardiology');
INSERT INTO doctors (name) VALUES ('Dr. House');
INSERT INTO appointments (patient_id, doctor_id, kind, starts_at, minutes, cancelled)
  SELECT 1 + seq % 3, 1 + seq % 2, ELT(1 + seq % 3, 'checkup', 'follow_up', 'emergency'),
         '2026-01-01 08:00:00' + INTERVAL seq HOUR, 5 + seq % 60, seq % 7 = 0
  FROM seq_1_to_200;
DELETE FROM appointments WHERE id > 190;

CREATE VIEW upcoming AS
  SELECT a.id, p.name AS patient, d.name AS doctor, a.starts_at
  FROM appointments a JOIN patients p ON p.id = a.patient_id JOIN doctors d ON d.id = a.doctor_id
  WHERE a.cancelled = 0;
)sql";

constexpr const char* kChanges = R"sql(
CREATE TABLE later_rooms (id int AUTO_INCREMENT PRIMARY KEY, name varchar(40) NOT NULL,
                          UNIQUE KEY later_rooms_name (name)) ENGINE=InnoDB;
CREATE INDEX later_patients_name ON patients (name);
CREATE SEQUENCE later_ticket;
CREATE VIEW later_free_rooms AS SELECT id, name FROM later_rooms;
CREATE FUNCTION later_room_count() RETURNS int DETERMINISTIC RETURN 2;
CREATE PROCEDURE later_list_rooms() SELECT name FROM later_rooms;
CREATE TRIGGER later_trim_name BEFORE UPDATE ON patients FOR EACH ROW SET NEW.name = TRIM(NEW.name);
CREATE EVENT later_cleanup ON SCHEDULE EVERY 1 HOUR DISABLE DO DELETE FROM later_rooms WHERE id < 0;
ALTER TABLE patients COMMENT = 'changed';
DROP FUNCTION greeting;
CREATE FUNCTION greeting(patient varchar(100)) RETURNS text DETERMINISTIC RETURN 'changed';
INSERT INTO later_rooms (name) VALUES ('room 1'), ('room 2');
INSERT INTO appointments (patient_id, doctor_id, starts_at, minutes)
  VALUES (1, 1, '2026-06-01 09:00:00', 30), (2, 2, '2026-06-01 10:00:00', 15);
UPDATE patients SET name = UPPER(name), notes = 'changed';
DELETE FROM audit_log WHERE id % 2 = 0;
)sql";

constexpr const char* kFailingFirst = R"sql(
CREATE TABLE patients (id int AUTO_INCREMENT PRIMARY KEY, email varchar(120) NOT NULL);
INSERT INTO patients (email) VALUES (NULL);
)sql";

constexpr const char* kSequences = R"sql(
SELECT CONCAT('invoice_number=', (SELECT next_not_cached_value FROM invoice_number), ',',
              GROUP_CONCAT(TABLE_NAME, '=', AUTO_INCREMENT ORDER BY TABLE_NAME))
FROM information_schema.TABLES
WHERE TABLE_SCHEMA = DATABASE() AND AUTO_INCREMENT IS NOT NULL AND TABLE_NAME NOT LIKE 'later%'
)sql";

constexpr const char* kLaterObjects = R"sql(
SELECT CONCAT(TABLE_TYPE, ' ', TABLE_NAME) FROM information_schema.TABLES
  WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE 'later%'
UNION ALL SELECT CONCAT('index ', INDEX_NAME) FROM information_schema.STATISTICS
  WHERE TABLE_SCHEMA = DATABASE() AND INDEX_NAME LIKE 'later%'
UNION ALL SELECT CONCAT(ROUTINE_TYPE, ' ', ROUTINE_NAME) FROM information_schema.ROUTINES
  WHERE ROUTINE_SCHEMA = DATABASE() AND ROUTINE_NAME LIKE 'later%'
UNION ALL SELECT CONCAT('trigger ', TRIGGER_NAME) FROM information_schema.TRIGGERS
  WHERE TRIGGER_SCHEMA = DATABASE() AND TRIGGER_NAME LIKE 'later%'
UNION ALL SELECT CONCAT('event ', EVENT_NAME) FROM information_schema.EVENTS
  WHERE EVENT_SCHEMA = DATABASE() AND EVENT_NAME LIKE 'later%'
ORDER BY 1
)sql";

}  // namespace

const Dialect& mariadb_dialect() {
  static const Dialect dialect{
      .name = "mariadb",
      .server = mysql_test_url,
      .create = [](const std::string& server, const TempDir&) -> std::unique_ptr<ScratchTarget> {
        return std::make_unique<MariadbTarget>(server);
      },
      .every_object = std::string(kTypesAndTables) + kGreeting + kRoutinesViewsAndRows,
      .routine = kGreeting,
      .changes = kChanges,
      .failing_first = kFailingFirst,
      .greeting = "SELECT REPLACE(greeting('Ada'), '\\n', '|')",
      .sequences = kSequences,
      .later_objects = kLaterObjects,
      .dumped_names = {"CREATE TABLE `patients`", "UNIQUE KEY `patients_email`",
                       "KEY `patients_domain`", "FULLTEXT KEY `patients_notes`",
                       "CONSTRAINT `appointment_length` CHECK",
                       "CONSTRAINT `fk_appointment_doctor` FOREIGN KEY",
                       "CREATE SEQUENCE `invoice_number`", "FUNCTION `greeting`",
                       "PROCEDURE `cancel_appointment`", "TRIGGER appointments_numbered",
                       "EVENT `purge_audit_log`", "VIEW `upcoming`", "COMMENT='people we treat'",
                       "enum('checkup','follow_up','emergency')"},
  };
  return dialect;
}

}  // namespace migrate::testing

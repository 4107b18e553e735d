// PostgreSQL in the conformance suite: a database of the test's own on the
// test server, psql to query it and pg_dump (schema, then rows sorted per
// table) to compare states.
#include "conformance/dialect.h"
#include "drivers/postgres_test_support.h"

namespace migrate::testing {
namespace {

class PostgresTarget : public ScratchTarget {
 public:
  explicit PostgresTarget(const std::string& server) : database_(server) {}
  std::string url() const override { return database_.url(); }
  std::string creation_output() const override { return database_.creation_output(); }
  std::string query(const std::string& sql) const override { return psql(url(), sql); }
  std::string dump() const override { return dump_schema(url()) + dump_data(url()); }

 private:
  ScratchDatabase database_;
};

// A function whose body and result hold blank lines.
constexpr const char* kGreeting = R"sql(
CREATE FUNCTION greeting(patient text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $body$
DECLARE
  salutation text := 'Dear ' || patient || ',';

BEGIN
  -- the blank lines in this body and in the result are part of the function

  RETURN salutation || '

see you soon.';
END
$body$;
COMMENT ON FUNCTION greeting(text) IS 'the first line of every letter';
)sql";

constexpr const char* kTypesAndTables = R"sql(
CREATE SCHEMA scheduling;
COMMENT ON SCHEMA scheduling IS 'who sees whom, and when';
CREATE TYPE visit_kind AS ENUM ('checkup', 'follow_up', 'emergency');
CREATE DOMAIN email_address AS text CHECK (VALUE LIKE '%_@_%');
CREATE TYPE fee_range AS (low numeric(10,2), high numeric(10,2));
CREATE TYPE opening_hours AS RANGE (subtype = time);
CREATE COLLATION case_insensitive (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
CREATE TEXT SEARCH CONFIGURATION clinic_search (COPY = simple);
CREATE FOREIGN DATA WRAPPER lab_results;
CREATE SERVER lab FOREIGN DATA WRAPPER lab_results;
CREATE SEQUENCE invoice_number START 1000 INCREMENT 10;

CREATE TABLE patients (
  id bigserial PRIMARY KEY,
  email email_address NOT NULL,
  name text NOT NULL,
  born date CHECK (born > '1900-01-01'),
  active boolean NOT NULL DEFAULT true,
  notes text DEFAULT ''
);
CREATE UNIQUE INDEX patients_email ON patients (lower(email));
COMMENT ON TABLE patients IS 'people we treat';
COMMENT ON COLUMN patients.notes IS 'free text, may hold blank lines';

CREATE TABLE doctors (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text COLLATE case_insensitive NOT NULL UNIQUE,
  specialty text NOT NULL DEFAULT 'general',
  hours opening_hours DEFAULT '[08:00,18:00)'
);

CREATE TABLE scheduling.appointments (
  id bigserial PRIMARY KEY,
  patient_id bigint NOT NULL REFERENCES patients (id) ON DELETE CASCADE,
  doctor_id integer NOT NULL REFERENCES doctors (id),
  kind visit_kind NOT NULL DEFAULT 'checkup',
  starts_at timestamptz NOT NULL,
  minutes integer NOT NULL CHECK (minutes BETWEEN 5 AND 240),
  fees fee_range,
  invoice_no integer DEFAULT nextval('invoice_number'),
  cancelled boolean NOT NULL DEFAULT false
);
CREATE INDEX appointments_upcoming ON scheduling.appointments (starts_at) WHERE NOT cancelled;
CREATE STATISTICS scheduling.appointments_doctor_kind (dependencies)
  ON doctor_id, kind FROM scheduling.appointments;

CREATE TABLE audit_log (id bigserial PRIMARY KEY, what text NOT NULL);

)sql";

constexpr const char* kRoutinesViewsAndRows = R"sql(
CREATE FUNCTION log_appointment() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO audit_log (what) VALUES (TG_OP || ' appointment ' || NEW.id);
  RETURN NEW;
END
$$;
CREATE TRIGGER appointments_logged AFTER INSERT OR UPDATE ON scheduling.appointments
  FOR EACH ROW EXECUTE FUNCTION log_appointment();

CREATE AGGREGATE total_minutes(integer) (sfunc = int4pl, stype = integer, initcond = '0');
CREATE OPERATOR =~= (leftarg = text, rightarg = text, function = texticlike);
CREATE RULE doctors_are_kept AS ON DELETE TO doctors DO INSTEAD NOTHING;
CREATE FUNCTION note_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$
BEGIN
  -- a hook for schema-change auditing
END
$$;
CREATE EVENT TRIGGER ddl_watch ON ddl_command_end EXECUTE FUNCTION note_ddl();

CREATE PROCEDURE cancel_appointment(appointment bigint) LANGUAGE sql AS $$
  UPDATE scheduling.appointments SET cancelled = true WHERE id = appointment;
$$;

ALTER TABLE patients ENABLE ROW LEVEL SECURITY;
CREATE POLICY active_patients ON patients USING (active);
CREATE PUBLICATION clinic_changes FOR TABLE scheduling.appointments;

INSERT INTO patients (email, name, born, notes) VALUES
  ('ada@example.com', 'Ada', '1985-12-10', 'prefers mornings'),
  ('alan@example.com', 'Alan', '1972-06-23', 'first line

after a blank line'),
  ('grace@example.com', 'Grace', '1956-12-09', NULL);
INSERT INTO doctors (name, specialty) VALUES ('Dr. Grey', 'cardiology');
INSERT INTO doctors (name) VALUES ('Dr. House');
INSERT INTO scheduling.appointments (patient_id, doctor_id, kind, starts_at, minutes, fees, cancelled)
  SELECT 1 + g % 3, 1 + g % 2, (ARRAY['checkup', 'follow_up', 'emergency'])[1 + g % 3]::visit_kind,
         timestamptz '2026-01-01 08:00:00+00' + g * interval '1 hour', 5 + g % 60,
         ROW(g, g * 2)::fee_range, g % 7 = 0
  FROM generate_series(1, 200) g;
DELETE FROM scheduling.appointments WHERE id > 190;
SELECT lo_from_bytea(424243, 'scanned referral letter');

CREATE VIEW upcoming AS
  SELECT a.id, p.name AS patient, d.name AS doctor, a.starts_at
  FROM scheduling.appointments a JOIN patients p ON p.id = a.patient_id
  JOIN doctors d ON d.id = a.doctor_id
  WHERE NOT a.cancelled;
CREATE MATERIALIZED VIEW visits_per_doctor AS
  SELECT doctor_id, count(*) AS visits FROM scheduling.appointments GROUP BY doctor_id;
)sql";

constexpr const char* kChanges = R"sql(
SET client_min_messages = error;
CREATE SCHEMA later_schema;
CREATE TYPE later_room_state AS ENUM ('free', 'busy');
CREATE DOMAIN later_minutes AS integer CHECK (VALUE > 0);
CREATE SEQUENCE later_ticket;
CREATE TABLE later_rooms (id serial PRIMARY KEY, name text NOT NULL UNIQUE,
                          state later_room_state NOT NULL DEFAULT 'free');
CREATE INDEX later_rooms_free ON later_rooms (lower(name)) WHERE state = 'free';
CREATE VIEW later_free_rooms AS SELECT id, name FROM later_rooms WHERE state = 'free';
CREATE MATERIALIZED VIEW later_room_count AS SELECT count(*) AS n FROM later_rooms;
CREATE FUNCTION later_room_name(room integer) RETURNS text LANGUAGE sql AS $$
  SELECT name FROM later_rooms WHERE id = room
$$;
CREATE TRIGGER later_patients_logged AFTER UPDATE ON patients
  FOR EACH ROW EXECUTE FUNCTION log_appointment();
CREATE POLICY later_everyone ON patients USING (true);
CREATE STATISTICS later_patient_stats ON name, active FROM patients;
CREATE PUBLICATION later_everything FOR ALL TABLES;
CREATE TYPE later_span AS RANGE (subtype = float8);
CREATE AGGREGATE later_sum(integer) (sfunc = int4pl, stype = integer, initcond = '0');
CREATE COLLATION later_collation (provider = icu, locale = 'und-u-ks-level1', deterministic = false);
CREATE TEXT SEARCH CONFIGURATION later_search (COPY = simple);
CREATE TEXT SEARCH DICTIONARY later_dictionary (TEMPLATE = simple);
CREATE CONVERSION later_conversion FOR 'LATIN1' TO 'UTF8' FROM iso8859_1_to_utf8;
ALTER TEXT SEARCH CONFIGURATION clinic_search ALTER MAPPING FOR word WITH later_dictionary;
ALTER STATISTICS scheduling.appointments_doctor_kind SET STATISTICS 321;
CREATE FOREIGN DATA WRAPPER later_fdw;
CREATE SERVER later_server FOREIGN DATA WRAPPER later_fdw;
CREATE EVENT TRIGGER later_ddl ON ddl_command_start EXECUTE FUNCTION note_ddl();
DO $$ BEGIN PERFORM lo_from_bytea(424244, 'later letter'); END $$;
COMMENT ON TABLE patients IS 'changed';
CREATE OR REPLACE FUNCTION greeting(patient text) RETURNS text LANGUAGE sql AS $$ SELECT 'changed' $$;
INSERT INTO later_rooms (name) VALUES ('room 1'), ('room 2');
INSERT INTO scheduling.appointments (patient_id, doctor_id, starts_at, minutes)
  VALUES (1, 1, '2026-06-01 09:00:00+00', 30), (2, 2, '2026-06-01 10:00:00+00', 15);
UPDATE patients SET name = upper(name), notes = 'changed';
DELETE FROM audit_log WHERE id % 2 = 0;
)sql";

constexpr const char* kFailingFirst = R"sql(
CREATE TABLE patients (id bigserial PRIMARY KEY, email text NOT NULL);
INSERT INTO patients (email) VALUES (NULL);
)sql";

constexpr const char* kLaterObjects = R"sql(
SELECT 'relation ' || relname FROM pg_class WHERE relname LIKE 'later%'
UNION ALL SELECT 'routine ' || proname FROM pg_proc WHERE proname LIKE 'later%'
UNION ALL SELECT 'type ' || typname FROM pg_type WHERE typname LIKE 'later%' AND typrelid = 0
UNION ALL SELECT 'schema ' || nspname FROM pg_namespace WHERE nspname LIKE 'later%'
UNION ALL SELECT 'trigger ' || tgname FROM pg_trigger WHERE tgname LIKE 'later%'
UNION ALL SELECT 'policy ' || polname FROM pg_policy WHERE polname LIKE 'later%'
UNION ALL SELECT 'statistics ' || stxname FROM pg_statistic_ext WHERE stxname LIKE 'later%'
UNION ALL SELECT 'publication ' || pubname FROM pg_publication WHERE pubname LIKE 'later%'
UNION ALL SELECT 'collation ' || collname FROM pg_collation WHERE collname LIKE 'later%'
UNION ALL SELECT 'text search ' || cfgname FROM pg_ts_config WHERE cfgname LIKE 'later%'
UNION ALL SELECT 'dictionary ' || dictname FROM pg_ts_dict WHERE dictname LIKE 'later%'
UNION ALL SELECT 'conversion ' || conname FROM pg_conversion WHERE conname LIKE 'later%'
UNION ALL SELECT 'event trigger ' || evtname FROM pg_event_trigger WHERE evtname LIKE 'later%'
UNION ALL SELECT 'wrapper ' || fdwname FROM pg_foreign_data_wrapper WHERE fdwname LIKE 'later%'
UNION ALL SELECT 'server ' || srvname FROM pg_foreign_server WHERE srvname LIKE 'later%'
UNION ALL SELECT 'large object ' || oid FROM pg_largeobject_metadata WHERE oid = 424244
ORDER BY 1
)sql";

}  // namespace

const Dialect& postgres_dialect() {
  static const Dialect dialect{
      .name = "postgres",
      .server = postgres_test_url,
      .create = [](const std::string& server, const TempDir&) -> std::unique_ptr<ScratchTarget> {
        return std::make_unique<PostgresTarget>(server);
      },
      .every_object = std::string(kTypesAndTables) + kGreeting + kRoutinesViewsAndRows,
      .routine = kGreeting,
      .changes = kChanges,
      .failing_first = kFailingFirst,
      .greeting = "SELECT replace(greeting('Ada'), E'\\n', '|')",
      .sequences =
          "SELECT string_agg(schemaname || '.' || sequencename || '=' || "
          "coalesce(last_value::text, 'unused'), ',' ORDER BY schemaname, sequencename) "
          "FROM pg_sequences WHERE sequencename NOT LIKE 'later%'",
      .later_objects = kLaterObjects,
      .dumped_names = {"CREATE SCHEMA scheduling",
                       "CREATE TYPE public.visit_kind AS ENUM",
                       "CREATE DOMAIN public.email_address",
                       "CREATE TYPE public.fee_range AS",
                       "CREATE SEQUENCE public.invoice_number",
                       "CREATE TABLE public.patients",
                       "CREATE UNIQUE INDEX patients_email",
                       "CREATE INDEX appointments_upcoming",
                       "CREATE STATISTICS scheduling.appointments_doctor_kind",
                       "CREATE FUNCTION public.greeting",
                       "CREATE TRIGGER appointments_logged",
                       "CREATE PROCEDURE public.cancel_appointment",
                       "CREATE TYPE public.opening_hours AS RANGE",
                       "CREATE COLLATION public.case_insensitive",
                       "CREATE TEXT SEARCH CONFIGURATION public.clinic_search",
                       "CREATE SERVER lab",
                       "CREATE AGGREGATE public.total_minutes",
                       "CREATE OPERATOR public.=~=",
                       "CREATE RULE doctors_are_kept",
                       "CREATE EVENT TRIGGER ddl_watch",
                       "lo_create('424243')",
                       "CREATE POLICY active_patients",
                       "CREATE PUBLICATION clinic_changes",
                       "CREATE VIEW public.upcoming",
                       "CREATE MATERIALIZED VIEW",
                       "COMMENT ON COLUMN public.patients.notes"},
  };
  return dialect;
}

}  // namespace migrate::testing

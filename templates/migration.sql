-- Migration {{version}}_{{name}}, created {{created_at}}.
-- Write the change here. Each migration runs in one transaction with its
-- tracking row; put `-- migrate:no-transaction` on the first line to run
-- statements one by one instead (CREATE INDEX CONCURRENTLY, VACUUM).


-- The backfilled names cannot be told apart from chosen ones; only the
-- column is undone.
ALTER TABLE users DROP COLUMN last_login_at;

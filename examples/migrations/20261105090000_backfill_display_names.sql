-- Data backfill: users created before display names were required got their
-- email as a placeholder; use the part before '@' instead.
UPDATE users
   SET display_name = substr(email, 1, instr(email, '@') - 1)
 WHERE display_name = email;

ALTER TABLE users ADD COLUMN last_login_at TEXT;

-- Rollback of {{version}}_{{name}}: undo exactly what the migration did.
-- Delete this file to make the migration irreversible.


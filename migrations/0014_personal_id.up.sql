-- personal_id (migration 0012) is set by an administrator on the user screen
-- or by the import's optional column: the 12-digit citizen identity number
-- (CCCD / số định danh cá nhân) and nothing else, so a typo with a letter or
-- a missing digit is refused by the database too, not only by the service.
-- Nothing wrote the column before this migration.
ALTER TABLE users DROP CONSTRAINT users_personal_id_check;
ALTER TABLE users ADD CONSTRAINT users_personal_id_check CHECK (personal_id ~ '^[0-9]{12}$');

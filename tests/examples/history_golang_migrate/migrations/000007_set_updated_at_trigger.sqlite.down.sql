DROP TRIGGER IF EXISTS tickets_set_updated_at;
DROP TRIGGER IF EXISTS users_set_updated_at;

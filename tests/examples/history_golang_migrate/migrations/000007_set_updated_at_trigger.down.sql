DROP TRIGGER IF EXISTS tickets_set_updated_at ON tickets;
DROP TRIGGER IF EXISTS users_set_updated_at ON users;
DROP FUNCTION IF EXISTS set_updated_at();

ALTER TABLE carts ADD COLUMN expires_at TIMESTAMPTZ;
CREATE INDEX carts_expires_at_idx ON carts (expires_at) WHERE expires_at IS NOT NULL;

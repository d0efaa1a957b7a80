-- idempotent column add, Postgres style

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM information_schema.columns
                   WHERE table_name = 'accounts' AND column_name = 'status') THEN
        ALTER TABLE accounts ADD COLUMN status VARCHAR(16) NOT NULL DEFAULT 'active';
    END IF;
END
$$;

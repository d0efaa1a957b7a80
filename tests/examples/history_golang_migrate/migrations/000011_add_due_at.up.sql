ALTER TABLE tickets ADD COLUMN due_at TIMESTAMPTZ;
ALTER TABLE tickets ALTER COLUMN title TYPE VARCHAR(255);
ALTER TABLE users ALTER COLUMN password_hash DROP NOT NULL;

-- only open work has a due date worth searching
CREATE INDEX idx_tickets_open_due_at ON tickets (due_at) WHERE status <> 'closed';

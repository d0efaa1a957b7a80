CREATE TABLE comments (
    id         BIGSERIAL PRIMARY KEY,
    ticket_id  UUID NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    author_id  UUID NOT NULL REFERENCES users (id),
    body       TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX idx_comments_ticket_created ON comments (ticket_id, created_at DESC);

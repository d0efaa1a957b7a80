CREATE TABLE audit_log (
    id         BIGSERIAL PRIMARY KEY,
    actor_id   UUID REFERENCES users (id) ON DELETE SET NULL,
    action     VARCHAR(50) NOT NULL,
    payload    JSONB NOT NULL DEFAULT '{}'::jsonb,
    created_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX idx_audit_log_payload ON audit_log USING GIN (payload);
CREATE INDEX idx_audit_log_actor_created ON audit_log (actor_id, created_at);

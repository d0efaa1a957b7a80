-- The old table: one row per artifact a build run produced, the run's identity copied
-- onto each of its artifacts. Natural key: (project, run_no, name).
CREATE TABLE artifacts (
    project    VARCHAR(16) NOT NULL,
    run_no     INTEGER NOT NULL,
    name       VARCHAR(24) NOT NULL,
    label      VARCHAR(32) NOT NULL,
    size       NUMERIC(12, 3) NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    meta       JSONB,
    PRIMARY KEY (project, run_no, name)
);

-- Expand: one row per run, and its outputs under a surrogate run_id. No foreign key from
-- outputs to runs (bulk loads drop it in production): the code keeps them consistent.
CREATE TABLE runs (
    run_id  SERIAL PRIMARY KEY,
    project VARCHAR(16) NOT NULL,
    run_no  INTEGER NOT NULL,
    UNIQUE (project, run_no)
);

CREATE TABLE outputs (
    run_id     INTEGER NOT NULL,
    name       VARCHAR(24) NOT NULL,
    label      VARCHAR(32) NOT NULL,
    size       NUMERIC(12, 3) NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    meta       JSONB,
    PRIMARY KEY (run_id, name)
);

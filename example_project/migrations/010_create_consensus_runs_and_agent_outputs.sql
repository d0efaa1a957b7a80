-- migrate:up
-- Expand: one run per (spec, stage) holding the synthesis once, and its agents' outputs.
CREATE TABLE consensus_runs (
    id SERIAL PRIMARY KEY,
    spec_id VARCHAR(64) NOT NULL,
    stage VARCHAR(32) NOT NULL,
    synthesis TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (spec_id, stage)
);

CREATE TABLE agent_outputs (
    run_id INTEGER NOT NULL REFERENCES consensus_runs (id) ON DELETE CASCADE,
    agent VARCHAR(64) NOT NULL,
    content TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, agent)
);

-- migrate:down
DROP TABLE agent_outputs;
DROP TABLE consensus_runs;

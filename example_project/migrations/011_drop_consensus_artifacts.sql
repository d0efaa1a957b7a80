-- migrate:up
-- Contract: readers and writers use consensus_runs / agent_outputs only.
-- dualwrite: drops consensus_artifacts
DROP TABLE consensus_artifacts;

-- migrate:down
-- The old table comes back exactly as 009 created it; its rows do not.
CREATE TABLE consensus_artifacts (
    id SERIAL PRIMARY KEY,
    spec_id VARCHAR(64) NOT NULL,
    stage VARCHAR(32) NOT NULL,
    agent VARCHAR(64) NOT NULL,
    content TEXT NOT NULL,
    synthesis TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (spec_id, stage, agent)
);

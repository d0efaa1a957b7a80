-- migrate:up
-- Scenario 2, multi-agent consensus. One row per agent's answer to one stage of a spec;
-- the stage's synthesis was copied onto every answer of the stage.
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

-- migrate:down
DROP TABLE consensus_artifacts;

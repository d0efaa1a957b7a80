-- Contract: readers and writers use consensus_runs / agent_outputs only.
-- dualwrite: drops consensus_artifacts
DROP TABLE consensus_artifacts;

"""Scenario 2: consensus_artifacts -> consensus_runs + agent_outputs (migrations 009-011).

One old row per (spec, stage, agent) becomes an agent output under a run per (spec,
stage). `new` is a SELECT joining the two new tables back into the old rows' shape, under
the old key (spec_id, stage, agent).

The synthesis belongs to the stage: the old application copied it onto every artifact of
the stage, the new schema stores it once per run. The old *schema* does not enforce that,
so rows generated from it alone would give two artifacts of one stage two syntheses,
which no one-synthesis-per-run schema can hold; the backfill refuses such a stage rather
than keep one synthesis and drop the other. `strategies=` tells the generator what the old
application really wrote: here, one synthesis (or none) for every artifact of an example,
`st.shared`. Delete that line and the plugin shows the counterexample.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from hypothesis import strategies as st
from pytest_dualwrite import Cutover, DualWrite

from app import backfills, consensus
from app.consensus import artifacts, runs

RUNS_AS_ARTIFACTS = """
SELECT r.spec_id, r.stage, o.agent, o.content, r.synthesis
FROM consensus_runs r
JOIN agent_outputs o ON o.run_id = r.id
"""


def backfill_in_small_batches(conn: sa.Connection):
    yield from backfills.consensus_artifacts_to_runs(conn, batch_size=2)


consensus_artifacts_to_runs = DualWrite(
    old="consensus_artifacts",
    new=RUNS_AS_ARTIFACTS,
    key=["spec_id", "stage", "agent"],
    columns=["content", "synthesis"],
    expand=10,     # 010_create_consensus_runs_and_agent_outputs.sql
    contract=11,   # 011_drop_consensus_artifacts.sql
    write=consensus.record_artifact,
    update=consensus.update_artifact,
    delete=consensus.delete_artifact,
    backfill=backfill_in_small_batches,
    read=consensus.get_artifact,
    # After the write cutover: the new tables only (a delete still reaches the old table).
    cutover=Cutover(write=consensus.record_artifact_cutover,
                    delete=consensus.delete_artifact_cutover),
    # Text Postgres can store: no NUL (the plugin refuses an override that yields one).
    strategies={"synthesis": st.shared(
        st.none() | st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"),
                            max_size=30),
        key="consensus-stage-synthesis")},
)


# --- hand-written tests: one synthesis per stage (the cutover is the spec's `cutover=`) ----------

def _artifact(agent: str, content: str, stage: str = "plan", synthesis: str | None = "S"):
    return {"spec_id": "SPEC-1", "stage": stage, "agent": agent, "content": content,
            "synthesis": synthesis}


def _count(conn: sa.Connection, t: sa.Table) -> int:
    return conn.execute(sa.select(sa.func.count()).select_from(t)).scalar()


def test_dual_write_keeps_one_synthesis_per_stage(engine_at):
    with engine_at(10).begin() as conn:
        consensus.record_artifact(conn, _artifact("claude", "use a queue"))
        consensus.record_artifact(conn, _artifact("gemini", "use a cron job", synthesis=None))
        assert consensus.get_artifact(conn, ("SPEC-1", "plan", "gemini"))["synthesis"] == "S"
        consensus.update_artifact(conn, ("SPEC-1", "plan", "claude"), {"synthesis": "T"})
        assert {r.synthesis for r in conn.execute(sa.select(artifacts.c.synthesis))} == {"T"}
        assert conn.execute(sa.select(runs.c.synthesis)).scalar_one() == "T"
        consensus.delete_artifact(conn, ("SPEC-1", "plan", "claude"))
        consensus.delete_artifact(conn, ("SPEC-1", "plan", "gemini"))
        assert _count(conn, runs) == 0  # no run outlives its last output


def test_backfill_refuses_a_stage_with_two_syntheses(engine_at):
    with engine_at(10).begin() as conn:
        conn.execute(sa.insert(artifacts), [_artifact("claude", "a", synthesis="S1"),
                                            _artifact("gemini", "b", synthesis="S2")])
        with pytest.raises(backfills.InconsistentSynthesis, match="SPEC-1/plan"):
            list(backfills.consensus_artifacts_to_runs(conn))


def test_a_run_outlives_its_outputs_while_artifacts_wait_for_the_backfill(engine_at):
    """Deleting the one copied artifact of a stage keeps the run while another artifact of
    the stage waits for the backfill: on Postgres the next batch, which may already have
    found the run, copies that artifact into it (`backfill_races_live_writes` found the
    run deleted from under a batch: a foreign-key error, or the output silently not copied)."""
    with engine_at(10).begin() as conn:
        conn.execute(sa.insert(artifacts), [_artifact("claude", "a"), _artifact("gemini", "b")])
        batches = backfills.consensus_artifacts_to_runs(conn, batch_size=1)
        next(batches)  # claude copied, gemini not yet
        run_id = conn.execute(sa.select(runs.c.id)).scalar_one()
        consensus.delete_artifact(conn, ("SPEC-1", "plan", "claude"))
        assert conn.execute(sa.select(runs.c.id)).scalar_one() == run_id
        list(batches)
        assert consensus.get_artifact(conn, ("SPEC-1", "plan", "gemini"))["content"] == "b"
        consensus.delete_artifact(conn, ("SPEC-1", "plan", "gemini"))
        assert _count(conn, runs) == 0

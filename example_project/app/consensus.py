"""consensus_artifacts -> consensus_runs + agent_outputs (scenario 2, migrations 009-011).

Old: one row per (spec, stage, agent) with the agent's answer, and the stage's synthesis
copied onto every answer of the stage. New: one `consensus_runs` row per (spec, stage)
holding the synthesis once, and one `agent_outputs` row per agent of the run.

The rule both schemas keep: the synthesis belongs to the stage. Writing an artifact with
a synthesis sets it for the whole stage; writing one without keeps the stage's synthesis.

The phases, in the order a deploy goes through them:

1. dual write (`record_artifact`, `update_artifact`, `delete_artifact`): both schemas;
2. backfill (`app.backfills.consensus_artifacts_to_runs`);
3. read-path migration (`get_artifact`): the new schema first, the old as fallback;
4. write-path cutover (`record_artifact_cutover`): the new schema only; the reader still
   finds old rows the backfill has not copied; deletes still reach the old table
   (`delete_artifact_cutover`) so that no fallback brings a deleted row back;
5. contract (migration 011 drops consensus_artifacts).

Every function takes a `Connection` already inside a transaction and never commits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from .db import upsert
from .legacy import consensus_artifacts as artifacts
from .models import table

runs = table("consensus_runs")
outputs = table("agent_outputs")

Key = Sequence[str]  # (spec_id, stage, agent)


def _key(key: Key) -> tuple[str, str, str]:
    spec_id, stage, agent = key
    return spec_id, stage, agent


def _artifact_where(spec_id: str, stage: str, agent: str | None = None) -> Any:
    a = artifacts.c
    where = sa.and_(a.spec_id == spec_id, a.stage == stage)
    return where if agent is None else sa.and_(where, a.agent == agent)


def _run_id(conn: sa.Connection, spec_id: str, stage: str) -> int | None:
    return conn.execute(sa.select(runs.c.id).where(runs.c.spec_id == spec_id,
                                                   runs.c.stage == stage)).scalar()


def _ensure_run(conn: sa.Connection, spec_id: str, stage: str, synthesis: str | None) -> int:
    """The run of (spec, stage), created if missing, with the stage's synthesis."""
    upsert(conn, runs, {"spec_id": spec_id, "stage": stage, "synthesis": synthesis},
           key=["spec_id", "stage"], update=["synthesis"])
    run_id = _run_id(conn, spec_id, stage)
    assert run_id is not None
    return run_id


def _drop_run_if_empty(conn: sa.Connection, run_id: int, spec_id: str, stage: str) -> None:
    """A run without outputs is no record: remove it, or its synthesis would outlive the
    stage and come back on the next artifact written to it.

    Empty means no output *and* no artifact of the stage left in the old table. An
    artifact the backfill has not copied yet is an output to come: its batch (which locks
    it) joins it to this run, and would fail on the foreign key, or copy nothing, if the
    run went from under it.
    """
    if conn.execute(sa.select(outputs.c.agent).where(outputs.c.run_id == run_id)
                    .limit(1)).first() is not None:
        return
    if conn.execute(sa.select(artifacts.c.id).where(_artifact_where(spec_id, stage))
                    .limit(1)).first() is not None:
        return
    conn.execute(sa.delete(runs).where(runs.c.id == run_id))


def _lock_stage(conn: sa.Connection, spec_id: str, stage: str) -> list[str]:
    """Lock every artifact of the stage, in id order, before a write that rewrites the
    stage's synthesis; the agents found. A backfill batch locks its page in id order too
    (FOR SHARE): an UPDATE of the stage that locked its rows in another order could hold
    one the batch waits for while it waits for one the batch holds (a deadlock the race
    item found)."""
    return list(conn.execute(sa.select(artifacts.c.agent).where(_artifact_where(spec_id, stage))
                             .order_by(artifacts.c.id).with_for_update()).scalars())


def stage_synthesis_old(conn: sa.Connection, spec_id: str, stage: str) -> str | None:
    return conn.execute(sa.select(artifacts.c.synthesis)
                        .where(_artifact_where(spec_id, stage)).limit(1)).scalar()


# --- 1. dual write ----------------------------------------------------------------------------

def record_artifact(conn: sa.Connection, row: Mapping[str, Any]) -> None:
    """An agent's answer, in both schemas. A duplicate (spec, stage, agent) fails on the
    old table's unique constraint before anything reaches the new tables."""
    spec_id, stage, agent = row["spec_id"], row["stage"], row["agent"]
    synthesis = row.get("synthesis")
    if synthesis is None:
        synthesis = stage_synthesis_old(conn, spec_id, stage)
    values = {k: v for k, v in row.items() if k in artifacts.c}
    values["synthesis"] = synthesis
    conn.execute(sa.insert(artifacts), [values])
    _lock_stage(conn, spec_id, stage)
    conn.execute(sa.update(artifacts).where(_artifact_where(spec_id, stage))
                 .values(synthesis=synthesis))
    run_id = _ensure_run(conn, spec_id, stage, synthesis)
    upsert(conn, outputs, {"run_id": run_id, "agent": agent, "content": row["content"]},
           key=["run_id", "agent"])


def update_artifact(conn: sa.Connection, key: Key, changes: Mapping[str, Any]) -> None:
    """Content is the agent's own; a synthesis change applies to the whole stage. An
    artifact that does not exist is not updated, and neither is its stage."""
    spec_id, stage, agent = _key(key)
    # Locked first: a backfill batch copying this row holds it (FOR SHARE) until it
    # commits, so the run it creates is there to be read below, not missed and left stale.
    # A synthesis change rewrites the whole stage: all of it is locked, in id order.
    if "synthesis" in changes:
        found = agent in _lock_stage(conn, spec_id, stage)
    else:
        found = conn.execute(sa.select(artifacts.c.id)
                             .where(_artifact_where(spec_id, stage, agent))
                             .with_for_update()).first() is not None
    if not found:
        return
    run_id = _run_id(conn, spec_id, stage)  # None until the backfill reaches this stage
    if "content" in changes:
        conn.execute(sa.update(artifacts).where(_artifact_where(spec_id, stage, agent))
                     .values(content=changes["content"]))
        conn.execute(sa.update(outputs).where(outputs.c.run_id == run_id,
                                              outputs.c.agent == agent)
                     .values(content=changes["content"]))
    if "synthesis" in changes:
        conn.execute(sa.update(artifacts).where(_artifact_where(spec_id, stage))
                     .values(synthesis=changes["synthesis"]))
        conn.execute(sa.update(runs).where(runs.c.id == run_id)
                     .values(synthesis=changes["synthesis"]))


def delete_artifact(conn: sa.Connection, key: Key) -> None:
    """Both schemas (the same as after the cutover: see `delete_artifact_cutover`)."""
    delete_artifact_cutover(conn, key)


# --- 3. read path -----------------------------------------------------------------------------

def get_artifact(conn: sa.Connection, key: Key) -> dict[str, Any] | None:
    """The dual-schema reader: the new tables first, the old table for what is not there
    (not backfilled yet). In the old column names, or None."""
    spec_id, stage, agent = _key(key)
    new = conn.execute(
        sa.select(runs.c.spec_id, runs.c.stage, outputs.c.agent, outputs.c.content,
                  runs.c.synthesis)
        .join_from(runs, outputs, outputs.c.run_id == runs.c.id)
        .where(runs.c.spec_id == spec_id, runs.c.stage == stage, outputs.c.agent == agent)
    ).mappings().first()
    if new is not None:
        return dict(new)
    a = artifacts.c
    old = conn.execute(sa.select(a.spec_id, a.stage, a.agent, a.content, a.synthesis)
                       .where(_artifact_where(spec_id, stage, agent))).mappings().first()
    return dict(old) if old is not None else None


# --- 4. write-path cutover ---------------------------------------------------------------------

def record_artifact_cutover(conn: sa.Connection, row: Mapping[str, Any]) -> None:
    """After the cutover: the new schema only. An old row of the same key that the
    backfill has not copied yet stays behind, shadowed: the reader prefers the new row and
    the backfill only inserts what is missing. The stage's synthesis, when the row has
    none, comes from the run, else from the old rows."""
    spec_id, stage = row["spec_id"], row["stage"]
    synthesis = row.get("synthesis")
    if synthesis is None:
        run_id = _run_id(conn, spec_id, stage)
        synthesis = (conn.execute(sa.select(runs.c.synthesis).where(runs.c.id == run_id))
                     .scalar() if run_id is not None
                     else stage_synthesis_old(conn, spec_id, stage))
    run_id = _ensure_run(conn, spec_id, stage, synthesis)
    upsert(conn, outputs, {"run_id": run_id, "agent": row["agent"], "content": row["content"]},
           key=["run_id", "agent"])


def delete_artifact_cutover(conn: sa.Connection, key: Key) -> None:
    """A delete is the one write that must still reach the old table after the cutover:
    left there, the old row would come back through the reader's fallback, or through a
    late backfill batch (a resurrected delete)."""
    spec_id, stage, agent = _key(key)
    conn.execute(sa.delete(artifacts).where(_artifact_where(spec_id, stage, agent)))
    run_id = _run_id(conn, spec_id, stage)
    if run_id is None:
        return
    conn.execute(sa.delete(outputs).where(outputs.c.run_id == run_id, outputs.c.agent == agent))
    _drop_run_if_empty(conn, run_id, spec_id, stage)

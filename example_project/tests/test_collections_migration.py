"""Scenario 1: collections -> project_collections, with soft deletes (migrations 007-008).

What "every record is preserved" means here. Collections are soft-deleted (deleted_at is
set, the row stays); the junction holds live collections only. So the record to preserve
is every *live* collection, and a deleted one must have no junction row.

`old` has to be the table itself: the plugin generates pre-existing rows for it (soft-
deleted ones included) and the dual-write checks pick keys from it. A SELECT of live
collections as `old` would give the plugin nothing to generate rows for. A view would
not take inserts on SQLite.

So `deleted_at` is one of the compared fields, and `new` is a SELECT that says how the
new schema represents each collection:

* a live collection is its junction row (deleted_at NULL: the junction has no trash);
* a deleted collection is represented by its absence from the junction; the SELECT adds
  it back as the old row it is, the tombstone, taken from `collections` itself.

Compared key by key, that is exactly the invariant: a live collection without a junction
row is *missing*; a junction row that differs is *changed*; a junction row for a deleted
collection is a second row for that key (*duplicate*), since the tombstone is already
there. What the tombstone branch cannot prove is anything about deleted collections'
columns, and it need not: the migration does not touch them (they stay in `collections`).
`DUALWRITE_EXAMPLE_BROKEN=keep-junction` shows that failure.
"""

from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa
from pytest_dualwrite import DualWrite

from app import backfills, research
from app.models import table

PROJECT_COLLECTIONS_AS_OLD = """
SELECT pc.collection_id, pc.project_id, pc.research_context, pc.tags,
       NULL AS deleted_at
FROM project_collections pc
UNION ALL
SELECT c.collection_id, c.project_id, c.description AS research_context, c.tags,
       c.deleted_at
FROM collections c
WHERE c.deleted_at IS NOT NULL
"""


def backfill_in_small_batches(conn: sa.Connection):
    yield from backfills.project_collections(conn, batch_size=2)


collections_to_project_collections = DualWrite(
    old="collections",
    new=PROJECT_COLLECTIONS_AS_OLD,
    key="collection_id",
    columns={"project_id": "project_id", "description": "research_context", "tags": "tags",
             "deleted_at": "deleted_at"},
    expand=8,  # 008_create_project_collections.sql; no contract yet: `collections` stays
    write=research.create_collection,
    update=research.update_collection,
    delete=research.delete_collection,
    backfill=backfill_in_small_batches,
    read=research.get_collection,
)


# --- hand-written tests ---------------------------------------------------------------------

projects = table("projects")
collections = research.collections
junction = research.project_collections
WHEN = datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


def _seed(conn: sa.Connection) -> None:
    # One executemany: every row names the same columns (the first row decides them).
    conn.execute(sa.insert(projects), [{"id": 1, "name": "Sleep"}, {"id": 2, "name": "Diet"}])
    conn.execute(sa.insert(collections), [
        {"collection_id": 10, "project_id": 1, "name": "Papers", "description": "RCTs only",
         "tags": ["rct"], "deleted_at": None},
        {"collection_id": 11, "project_id": 1, "name": "Old", "description": None,
         "tags": [], "deleted_at": WHEN},
        {"collection_id": 12, "project_id": 2, "name": "Notes", "description": "draft",
         "tags": {"k": 1}, "deleted_at": None},
    ])


def _junction(conn: sa.Connection) -> list[tuple]:
    return [tuple(r) for r in conn.execute(
        sa.select(junction.c.project_id, junction.c.collection_id, junction.c.research_context)
        .order_by(junction.c.collection_id))]


def test_backfill_copies_live_collections_only(engine_at):
    with engine_at(8).begin() as conn:
        _seed(conn)
        assert list(backfills.project_collections(conn, batch_size=2)) == [2, 1]
        assert _junction(conn) == [(1, 10, "RCTs only"), (2, 12, "draft")]


def test_soft_delete_keeps_the_collection_and_drops_the_junction_row(engine_at):
    with engine_at(8).begin() as conn:
        _seed(conn)
        list(backfills.project_collections(conn))
        research.delete_collection(conn, 10)
        assert _junction(conn) == [(2, 12, "draft")]
        found = research.get_collection(conn, 10)  # still readable by id: the trash
        assert found["deleted_at"] is not None and found["description"] == "RCTs only"
        assert [c["collection_id"] for c in research.list_live_collections(conn, 1)] == []


def test_update_restores_moves_and_backfills_the_junction_row(engine_at):
    with engine_at(8).begin() as conn:
        _seed(conn)  # no backfill: the junction is empty
        research.update_collection(conn, 12, {"description": "final"})
        assert _junction(conn) == [(2, 12, "final")]  # the update wrote the missing row
        research.update_collection(conn, 11, {"deleted_at": None})  # restore from trash
        research.update_collection(conn, 12, {"project_id": 1})  # move to another project
        assert _junction(conn) == [(1, 11, None), (1, 12, "final")]


def test_rollback_undoes_the_backfill(engine_at):
    with engine_at(8).begin() as conn:
        _seed(conn)
        before = conn.execute(sa.select(collections).order_by(collections.c.collection_id)
                              ).all()
        list(backfills.project_collections(conn))
        assert len(_junction(conn)) == 2
        assert list(backfills.rollback_project_collections(conn, batch_size=2)) == [2, 1]
        assert _junction(conn) == []
        assert conn.execute(sa.select(collections).order_by(collections.c.collection_id)
                            ).all() == before

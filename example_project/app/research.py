"""collections -> project_collections: the dual-write repository (scenario 1, 007-008).

A collection used to belong to one project (`collections.project_id`) and carry its
research notes in `collections.description`. Migration 008 moves both into the junction
`project_collections` (project_id, collection_id, research_context, tags), so that a
collection can later be shared between projects.

Soft delete. Collections are never removed: deleting one sets `deleted_at`. The junction
holds *live* collections only, so a soft delete in the old table is a hard delete of the
junction row, and restoring a collection (deleted_at back to NULL) creates its junction
row again. The invariant the dual write keeps, and tests/test_collections_migration.py
checks, is therefore:

    for every collection:  deleted_at IS NULL  <=>  exactly one junction row, equal to it
                           deleted_at IS NOT NULL  =>  no junction row

Every function takes a `Connection` already inside a transaction and never commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa

from .db import broken, upsert_from_select
from .models import table

collections = table("collections")
project_collections = table("project_collections")

# What the junction takes over: old column -> new column.
TO_NEW = {"project_id": "project_id", "description": "research_context", "tags": "tags"}


def _now() -> datetime:
    return datetime.now(timezone.utc)


def mirror_select(where: Any) -> sa.Select[Any]:
    """The junction rows that the live collections matching `where` should have: one
    SELECT over `collections`, used by the dual write and by the backfill alike."""
    c = collections.c
    return sa.select(c.project_id, c.collection_id, c.description, c.tags).where(
        where, c.deleted_at.is_(None))


JUNCTION_COLUMNS = ["project_id", "collection_id", "research_context", "tags"]


def mirror(conn: sa.Connection, collection_id: int) -> None:
    """Make project_collections agree with the collection row as it is now.

    Copied inside the database (INSERT ... SELECT ... ON CONFLICT DO UPDATE), so `tags`
    and the notes reach the junction exactly as stored. A collection that is gone or
    soft-deleted loses its junction row; one that moved project loses the old pair.
    """
    pc = project_collections.c
    live = sa.select(collections.c.project_id).where(
        collections.c.collection_id == collection_id, collections.c.deleted_at.is_(None))
    # NOT IN an empty result is true: every pair of a gone or deleted collection goes.
    conn.execute(sa.delete(project_collections).where(
        pc.collection_id == collection_id, pc.project_id.not_in(live)))
    upsert_from_select(conn, project_collections, JUNCTION_COLUMNS,
                       mirror_select(collections.c.collection_id == collection_id),
                       key=["project_id", "collection_id"],
                       update=["research_context", "tags"])


def create_collection(conn: sa.Connection, row: Mapping[str, Any]) -> None:
    """Dual write: the collection, then its junction row (none if created deleted)."""
    conn.execute(sa.insert(collections), [{k: v for k, v in row.items() if k in collections.c}])
    mirror(conn, row["collection_id"])


def update_collection(conn: sa.Connection, collection_id: int,
                      changes: Mapping[str, Any]) -> None:
    """Both schemas. The junction row is rebuilt from the updated collection, so an update
    also creates a junction row the backfill has not written yet, moves it when the
    project changes, and removes or restores it when `deleted_at` changes."""
    values = {k: v for k, v in changes.items() if k in collections.c and k != "collection_id"}
    if not values:
        return
    values.setdefault("updated_at", _now())
    conn.execute(sa.update(collections)
                 .where(collections.c.collection_id == collection_id).values(values))
    mirror(conn, collection_id)


def delete_collection(conn: sa.Connection, collection_id: int) -> None:
    """Soft-delete the collection, hard-delete its junction row."""
    now = _now()
    conn.execute(sa.update(collections)
                 .where(collections.c.collection_id == collection_id,
                        collections.c.deleted_at.is_(None))
                 .values(deleted_at=now, updated_at=now))
    if broken("keep-junction"):
        return
    conn.execute(sa.delete(project_collections)
                 .where(project_collections.c.collection_id == collection_id))


def get_collection(conn: sa.Connection, collection_id: int) -> dict[str, Any] | None:
    """The migrated read path: project, notes and tags from the junction where it has the
    collection, from the old columns otherwise (not backfilled yet, or in the trash: a
    soft-deleted collection is still readable by id, e.g. to restore it). In the old
    column names, or None for an id no collection ever had."""
    c, pc = collections.c, project_collections.c
    row = conn.execute(
        sa.select(c.collection_id, c.project_id, c.name, c.description, c.tags, c.deleted_at,
                  pc.collection_id.label("junction_id"), pc.project_id.label("new_project_id"),
                  pc.research_context, pc.tags.label("new_tags"))
        .select_from(collections.outerjoin(project_collections,
                                           pc.collection_id == c.collection_id))
        .where(c.collection_id == collection_id)
        .order_by(pc.project_id)
    ).mappings().first()
    if row is None:
        return None
    found = {k: row[k] for k in ("collection_id", "project_id", "name", "description", "tags",
                                 "deleted_at")}
    if row["junction_id"] is not None:
        found.update(project_id=row["new_project_id"], description=row["research_context"],
                     tags=row["new_tags"])
    return found


def list_live_collections(conn: sa.Connection, project_id: int) -> list[dict[str, Any]]:
    """A project's live collections, from the new schema alone (the read path after the
    cutover: the junction only ever holds live collections)."""
    c, pc = collections.c, project_collections.c
    rows = conn.execute(
        sa.select(c.collection_id, c.name, pc.research_context, pc.tags)
        .join_from(project_collections, collections, pc.collection_id == c.collection_id)
        .where(pc.project_id == project_id).order_by(c.collection_id)).mappings()
    return [dict(r) for r in rows]

"""Backfills: copy what the old schema held before the dual write started.

Each is a generator: one batch, then `yield`. The job runner (or pytest-dualwrite) commits
after each yield, so a crash loses at most the batch in flight. Batches are found by
keyset pagination (`WHERE key > :last ORDER BY key LIMIT :n`), never OFFSET, so a batch
costs the same at the end of the table as at the start and rows written meanwhile do not
shift the pages. Every copy is an upsert, so running a backfill again, or again after a
crash, changes nothing more: a resumed backfill simply starts over.

The rows are copied inside the database (INSERT ... SELECT ... ON CONFLICT), except for
products, which go through Python to show the other common shape (and where the planted
truncation bug lives). The JSON document store of scenario 4 has its own export, with
validation, in app/characters.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa

from . import catalog, links, research
from .consensus import artifacts, outputs, runs
from .db import broken, pages, upsert, upsert_from_select
from .legacy import products

BATCH_SIZE = 500


def _keyset(conn: sa.Connection, column: sa.ColumnElement[Any], last: Any,
            batch_size: int, *where: Any, lock: bool = False) -> list[Any]:
    """The next page of keys after `last` (None: from the start), in key order. `lock`:
    the page's rows are locked (FOR SHARE, on Postgres) until the batch commits, so an
    update or delete of one of them made while the batch runs waits for it, instead of
    being undone by the batch's later statements (SQLite has one writer: no lock needed)."""
    query = sa.select(column).where(*where).order_by(column).limit(batch_size)
    if last is not None:
        query = query.where(column > last)
    if lock:
        query = query.with_for_update(read=True)
    return list(conn.execute(query).scalars())


# --- products -> catalog_items ------------------------------------------------------------------

def products_to_catalog_items(conn: sa.Connection,
                              batch_size: int = BATCH_SIZE) -> Iterator[int]:
    for rows in pages(conn, products, "sku", batch_size):
        copies = [catalog.to_new(r) for r in rows]
        if broken("truncate"):  # the planted bug: "the title column was 40 wide once"
            for copy in copies:
                copy["title"] = copy["title"][:40]
        upsert(conn, catalog.catalog_items, copies, key=["item_sku"])
        yield len(rows)


# --- collections -> project_collections (scenario 1) ----------------------------------------------

def project_collections(conn: sa.Connection, batch_size: int = BATCH_SIZE) -> Iterator[int]:
    """Live collections get their junction row. Pages run over every collection, deleted
    ones included (they are skipped by the copy, not by the page), so the cursor moves
    the same whatever the trash holds."""
    c = research.collections.c
    last = None
    while True:
        keys = _keyset(conn, c.collection_id, last, batch_size)
        if not keys:
            return
        upsert_from_select(conn, research.project_collections, research.JUNCTION_COLUMNS,
                           research.mirror_select(c.collection_id.between(keys[0], keys[-1])),
                           key=["project_id", "collection_id"],
                           update=["research_context", "tags"])
        last = keys[-1]
        yield len(keys)


def rollback_project_collections(conn: sa.Connection,
                                 batch_size: int = BATCH_SIZE) -> Iterator[int]:
    """Undo the backfill: remove the junction rows that mirror a collection's own project.

    Safe because the dual write kept `collections` complete: nothing in the junction is
    not also in the old columns. Run it after switching the dual write off (else new
    writes add rows again). Rows that do not mirror a collection's project (a collection
    shared into a second project after the migration) are kept: they exist nowhere else.
    """
    c, pc = research.collections.c, research.project_collections.c
    last = None
    while True:
        keys = _keyset(conn, c.collection_id, last, batch_size)
        if not keys:
            return
        mirrored = sa.select(c.project_id).where(c.collection_id == pc.collection_id)
        conn.execute(sa.delete(research.project_collections).where(
            pc.collection_id.between(keys[0], keys[-1]),
            pc.project_id == mirrored.scalar_subquery()))
        last = keys[-1]
        yield len(keys)


# --- consensus_artifacts -> consensus_runs + agent_outputs (scenario 2) ---------------------------

class InconsistentSynthesis(Exception):
    """Artifacts of one stage disagree on the stage's synthesis: the new schema keeps one."""


def _check_syntheses(conn: sa.Connection, low: int, high: int) -> None:
    """Refuse, before copying, a stage whose artifacts carry different syntheses (NULL
    counts as one): copying would keep one and silently lose the others."""
    a = artifacts.c
    inner = artifacts.alias("touched")
    touched = sa.exists().where(inner.c.id.between(low, high), inner.c.spec_id == a.spec_id,
                                inner.c.stage == a.stage)
    distinct = sa.func.count(sa.distinct(a.synthesis))
    present = sa.func.count(a.synthesis)
    bad = conn.execute(
        sa.select(a.spec_id, a.stage).where(touched).group_by(a.spec_id, a.stage)
        .having(sa.or_(distinct > 1, sa.and_(present > 0, present < sa.func.count())))
        .order_by(a.spec_id, a.stage).limit(5)).all()
    if bad:
        stages = ", ".join(f"{spec}/{stage}" for spec, stage in bad)
        raise InconsistentSynthesis(
            f"consensus_artifacts: the artifacts of stage(s) {stages} disagree on the "
            "synthesis; settle each stage on one synthesis before the backfill")


def consensus_artifacts_to_runs(conn: sa.Connection,
                                batch_size: int = BATCH_SIZE) -> Iterator[int]:
    """Pages by the old table's id. Runs first (one per spec and stage), then outputs.
    Insert-if-missing (ON CONFLICT DO NOTHING): while the dual write runs, what is in the
    new tables already equals the old rows; after the write-path cutover it is newer, and
    a late batch must not overwrite it."""
    a = artifacts.c
    last = None
    while True:
        # Locked: the batch reads these rows again in three more statements.
        keys = _keyset(conn, a.id, last, batch_size, lock=not broken("unlocked-batch"))
        if not keys:
            return
        low, high = keys[0], keys[-1]
        _check_syntheses(conn, low, high)
        upsert_from_select(
            conn, runs, ["spec_id", "stage", "synthesis"],
            sa.select(a.spec_id, a.stage, a.synthesis).distinct().where(a.id.between(low, high)),
            key=["spec_id", "stage"], update=[])
        upsert_from_select(
            conn, outputs, ["run_id", "agent", "content"],
            sa.select(runs.c.id, a.agent, a.content)
            .join_from(artifacts, runs, sa.and_(runs.c.spec_id == a.spec_id,
                                                runs.c.stage == a.stage))
            .where(a.id.between(low, high)),
            key=["run_id", "agent"], update=[])
        last = high
        yield len(keys)


# --- short_links -> redirects (scenario 6) -------------------------------------------------------

def short_links_to_redirects(conn: sa.Connection,
                             batch_size: int = BATCH_SIZE) -> Iterator[int]:
    """Copies the links `redirects` lacks; one that is there already came from the dual
    write's mirror, or after the cutover from the service itself, and is newer: kept.

    One statement per batch copies the page and locks the rows it reads (FOR SHARE, in
    the same SELECT): an update or delete in flight on one of them commits first, and the
    copy reads what it left. "Lacks" is decided by the insert itself (ON CONFLICT DO
    NOTHING), at the moment it writes. `DUALWRITE_EXAMPLE_BROKEN=not-exists-copy` decides
    it the way many backfills do, `WHERE NOT EXISTS (SELECT 1 FROM redirects ...)`: the
    same rows on one connection, but NOT EXISTS looks at the table as it was when the
    statement started. A dual-write update of a link that commits while the batch waits
    for that link's lock has mirrored it into `redirects` meanwhile; the batch, sure it is
    missing, inserts it again and fails on the primary key (the lock does not help: it
    is on `short_links`, the check is on `redirects`).
    """
    s, r = links.short_links.c, links.redirects.c
    last = None
    while True:
        keys = _keyset(conn, s.slug, last, batch_size)  # the page's bounds; the copy locks
        if not keys:
            return
        page = links.copy_select(s.slug.between(keys[0], keys[-1])).with_for_update(read=True)
        if broken("not-exists-copy"):
            missing = page.where(~sa.exists().where(r.slug == s.slug))
            conn.execute(sa.insert(links.redirects).from_select(links.COPIED, missing))
        else:
            upsert_from_select(conn, links.redirects, links.COPIED, page, key=["slug"],
                               update=[])
        last = keys[-1]
        yield len(keys)

"""artifacts -> runs + outputs: a 1->N split with a composite natural key, and the mistakes
real teams make in one, planted behind DW_BUG (one name, or several joined by commas).

Old: one `artifacts` row per (project, run_no, name). New: one `runs` row per (project,
run_no) under a surrogate `run_id`, and one `outputs` row per artifact of the run. A run
exists exactly while it has outputs. Every function takes a connection inside a
transaction and never commits.

The planted bugs (each one `if`):
  delete_parent_only    a delete removes the run row, not the output (orphans its outputs)
  delete_keeps_parent   a delete removes the output but leaves its run without outputs
  update_moves_child    an update re-homes the output under the project's first run
  read_ignores_run_no   the read path finds an output by project and name only
  keyset_prefix         the backfill pages on (project, run_no), a non-unique prefix
  tz_dropped            the write path stores created_at as New York wall time, no zone
  nfc_on_copy           the write path NFC-normalizes the label
  trim_on_copy          the backfill trims the label
  truncate_label        the write path cuts the label to 16 characters (an old UI limit)
  sql_null_as_json      the new model writes a missing meta as JSON null, not SQL NULL
  lost_microseconds     the write path drops created_at's microseconds
  size_rounded          the write path rounds size to 2 decimal places (a money helper)
  stale_read            the read path prefers the old table (stale after the cutover)
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

BUGS = ("delete_parent_only", "delete_keeps_parent", "update_moves_child",
        "read_ignores_run_no", "keyset_prefix", "tz_dropped", "nfc_on_copy", "trim_on_copy",
        "truncate_label", "sql_null_as_json", "lost_microseconds", "size_rounded",
        "stale_read")
BATCH = 2  # rows per backfill batch: small, so batches end inside a run


def bug(name: str) -> bool:
    assert name in BUGS, name
    return name in {b.strip() for b in os.environ.get("DW_BUG", "").split(",")}


def _json(none_as_null: bool = True) -> sa.types.TypeEngine[Any]:
    return sa.JSON(none_as_null=none_as_null).with_variant(
        postgresql.JSONB(none_as_null=none_as_null), "postgresql")


metadata = sa.MetaData()
KEY = ("project", "run_no", "name")
VALUES = ("label", "size", "created_at", "meta")
artifacts = sa.Table(
    "artifacts", metadata,
    sa.Column("project", sa.String(16), primary_key=True),
    sa.Column("run_no", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(24), primary_key=True),
    sa.Column("label", sa.String(32)), sa.Column("size", sa.Numeric(12, 3)),
    sa.Column("created_at", sa.DateTime(timezone=True)), sa.Column("meta", _json()))
runs = sa.Table(
    "runs", metadata,
    sa.Column("run_id", sa.Integer, primary_key=True),
    sa.Column("project", sa.String(16)), sa.Column("run_no", sa.Integer))


def _outputs(none_as_null: bool = True) -> sa.Table:
    return sa.Table(
        "outputs", sa.MetaData(),
        sa.Column("run_id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(24), primary_key=True),
        sa.Column("label", sa.String(32)), sa.Column("size", sa.Numeric(12, 3)),
        sa.Column("created_at", sa.DateTime(timezone=True)),
        sa.Column("meta", _json(none_as_null)))


outputs = _outputs()
# The mistake: the new model's JSON column left at SQLAlchemy's default, None -> 'null'.
outputs_json_default = _outputs(none_as_null=False)
NEW_YORK = ZoneInfo("America/New_York")

# `new` for the spec: the two new tables joined back into the old rows' shape, with the
# key columns of each table (`run_id`, `name`) so `spans=` can find rows the join drops.
RUNS_AS_ARTIFACTS = """
SELECT r.project, r.run_no, o.name, o.label, o.size, o.created_at, o.meta, o.run_id
FROM runs r JOIN outputs o ON o.run_id = r.run_id
"""


def _where(table: sa.Table, key: Sequence[Any]) -> Any:
    project, run_no, name = key
    return sa.and_(table.c.project == project, table.c.run_no == run_no, table.c.name == name)


def _run_id(conn: sa.Connection, project: str, run_no: int,
            share: bool = False) -> int | None:
    query = sa.select(runs.c.run_id).where(runs.c.project == project, runs.c.run_no == run_no)
    return conn.execute(query.with_for_update(read=True) if share else query).scalar()


def _ensure_run(conn: sa.Connection, project: str, run_no: int) -> int:
    """Get or create the run, safe against the other connection doing the same: a
    concurrent insert of the run wins and ours does nothing (a plain SELECT-then-INSERT
    raised a unique violation in the backfill, found by backfill_races_live_writes), and
    the share lock makes a concurrent drop of the run wait for our commit. A run dropped
    between our insert and our lock is made again."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    for _ in range(3):
        conn.execute(dialect.insert(runs).values(project=project, run_no=run_no)
                     .on_conflict_do_nothing(index_elements=["project", "run_no"]))
        run_id = _run_id(conn, project, run_no, share=True)
        if run_id is not None:
            return int(run_id)
    raise RuntimeError(f"run {(project, run_no)!r} keeps being dropped")


def _drop_run_if_empty(conn: sa.Connection, run_id: int) -> None:
    # The run locked first: a backfill that holds it (copying an output into it) makes
    # this wait, and the emptiness check then sees that output.
    conn.execute(sa.select(runs.c.run_id).where(runs.c.run_id == run_id).with_for_update())
    if conn.execute(sa.select(outputs.c.name).where(outputs.c.run_id == run_id)
                    .limit(1)).first() is None:
        conn.execute(sa.delete(runs).where(runs.c.run_id == run_id))


def _new_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """What the new write path stores for the value columns (where most bugs live)."""
    out = {k: v for k, v in values.items() if k in VALUES}
    if "label" in out:
        if bug("nfc_on_copy"):
            out["label"] = unicodedata.normalize("NFC", out["label"])
        if bug("truncate_label"):
            out["label"] = out["label"][:16]
    if isinstance(out.get("created_at"), datetime):
        moment = out["created_at"]
        if bug("tz_dropped"):
            moment = moment.astimezone(NEW_YORK).replace(tzinfo=None)
        if bug("lost_microseconds"):
            moment = moment.replace(microsecond=0)
        out["created_at"] = moment
    if isinstance(out.get("size"), Decimal) and bug("size_rounded"):
        out["size"] = out["size"].quantize(Decimal("0.01"))
    return out


def _insert_output(conn: sa.Connection, run_id: int, name: str,
                   values: Mapping[str, Any]) -> None:
    table = outputs_json_default if bug("sql_null_as_json") else outputs
    conn.execute(sa.insert(table).values(run_id=run_id, name=name, **_new_values(values)))


# --- dual write ------------------------------------------------------------------------

def write(conn: sa.Connection, row: Mapping[str, Any]) -> None:
    """A new artifact, in both schemas; a duplicate key fails on the old table first."""
    conn.execute(sa.insert(artifacts).values(**{k: row[k] for k in (*KEY, *VALUES)}))
    write_new(conn, row)


def update(conn: sa.Connection, key: Sequence[Any], changes: Mapping[str, Any]) -> None:
    values = {k: v for k, v in changes.items() if k in VALUES}
    if not values:
        return
    conn.execute(sa.update(artifacts).where(_where(artifacts, key)).values(**values))
    _update_new(conn, key, values)


def _update_new(conn: sa.Connection, key: Sequence[Any], values: Mapping[str, Any]) -> None:
    project, run_no, name = key
    run_id = _run_id(conn, project, run_no)  # None until the backfill reaches this run
    if run_id is None:
        return
    table = outputs_json_default if bug("sql_null_as_json") else outputs
    new = _new_values(values)
    if bug("update_moves_child"):  # "the run of this project": the first one
        new["run_id"] = conn.execute(sa.select(sa.func.min(runs.c.run_id))
                                     .where(runs.c.project == project)).scalar_one()
    conn.execute(sa.update(table).where(table.c.run_id == run_id, table.c.name == name)
                 .values(**new))


def delete(conn: sa.Connection, key: Sequence[Any]) -> None:
    """Both schemas; also after the cutover (a row left in the old table would come back
    through the read path's fallback or a late backfill)."""
    conn.execute(sa.delete(artifacts).where(_where(artifacts, key)))
    project, run_no, name = key
    run_id = _run_id(conn, project, run_no)
    if run_id is None:
        return
    if bug("delete_parent_only"):
        conn.execute(sa.delete(runs).where(runs.c.run_id == run_id))
        return
    conn.execute(sa.delete(outputs).where(outputs.c.run_id == run_id, outputs.c.name == name))
    if not bug("delete_keeps_parent"):
        _drop_run_if_empty(conn, run_id)


# --- backfill ----------------------------------------------------------------------------

def backfill(conn: sa.Connection) -> Iterator[int]:
    """Keyset pages of BATCH artifacts in key order; copies what the new tables lack
    (while the dual write runs, what is there already equals the old rows; after the
    cutover it is newer)."""
    a = artifacts.c
    last: tuple[Any, ...] | None = None
    while True:
        query = sa.select(a.project, a.run_no, a.name).order_by(a.project, a.run_no, a.name)
        if last is not None:
            if bug("keyset_prefix"):
                query = query.where(sa.tuple_(a.project, a.run_no) > sa.tuple_(*last[:2]))
            else:
                query = query.where(sa.tuple_(a.project, a.run_no, a.name) > sa.tuple_(*last))
        # FOR SHARE (nothing on SQLite): an application update of a row in the page
        # waits for this batch, so the copy is never older than what it then writes.
        page = [tuple(r) for r in conn.execute(query.limit(BATCH).with_for_update(read=True))]
        if not page:
            return
        for key in page:
            _copy(conn, key)
        last = page[-1]
        yield len(page)


def _copy(conn: sa.Connection, key: Sequence[Any]) -> None:
    """One artifact into the new tables, unless its output is there already."""
    project, run_no, name = key
    run_id = _ensure_run(conn, project, run_no)
    if conn.execute(sa.select(outputs.c.name).where(
            outputs.c.run_id == run_id, outputs.c.name == name)).first() is not None:
        return
    label = artifacts.c.label
    if bug("trim_on_copy"):
        label = sa.func.trim(label)
    conn.execute(sa.insert(outputs).from_select(
        ["run_id", "name", "label", "size", "created_at", "meta"],
        sa.select(sa.literal(run_id), artifacts.c.name, label, artifacts.c.size,
                  artifacts.c.created_at, artifacts.c.meta).where(_where(artifacts, key))))


# --- read path: the new tables first, the old one for what is not copied yet ---------------

def read(conn: sa.Connection, key: Sequence[Any]) -> dict[str, Any] | None:
    project, run_no, name = key
    old = conn.execute(sa.select(*(artifacts.c[c] for c in (*KEY, *VALUES)))
                       .where(_where(artifacts, key))).mappings().first()
    if bug("stale_read") and old is not None:
        return dict(old)
    where = [runs.c.project == project, outputs.c.name == name]
    if not bug("read_ignores_run_no"):
        where.append(runs.c.run_no == run_no)
    new = conn.execute(
        sa.select(runs.c.project, runs.c.run_no, outputs.c.name,
                  *(outputs.c[c] for c in VALUES))
        .join_from(runs, outputs, outputs.c.run_id == runs.c.run_id)
        .where(*where).order_by(runs.c.run_id)).mappings().first()
    if new is not None:
        return dict(new)
    return dict(old) if old is not None else None


# --- after the write cutover: the new tables only (deletes still reach the old one) ------

def write_new(conn: sa.Connection, row: Mapping[str, Any]) -> None:
    """A new output under its run (created if missing); a duplicate key fails."""
    run_id = _ensure_run(conn, row["project"], row["run_no"])
    _insert_output(conn, run_id, row["name"], row)


def update_new(conn: sa.Connection, key: Sequence[Any], changes: Mapping[str, Any]) -> None:
    """An artifact the backfill has not copied yet is copied first, then changed: the
    late backfill skips what is there, so the change is not lost."""
    values = {k: v for k, v in changes.items() if k in VALUES}
    project, run_no, name = key
    run_id = _run_id(conn, project, run_no)
    present = run_id is not None and conn.execute(sa.select(outputs.c.name).where(
        outputs.c.run_id == run_id, outputs.c.name == name)).first() is not None
    if not present:
        if conn.execute(sa.select(artifacts.c.name).where(_where(artifacts, key))).first() \
                is None:
            return
        _copy(conn, key)
    if values:
        _update_new(conn, key, values)

"""Are two projections of the same records equal? Asked of the database, not of Python.

`compare` runs one set query over both sides (compare_plan.py says how it is built and
why it costs one aggregation) and turns its answer into a `Comparison` (comparison.py):
counts per side, missing and extra rows, changed fields, duplicate keys, the first
differing keys. No row is fetched unless something differs. `compare_rows` does the same
for rows that are not in SQL. Modules by concern: `projection` (the sides),
`compare_plan` (the query), `comparison` (the answer and its text), this one (the calls).
"""

from __future__ import annotations

import contextlib
import math
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

import sqlalchemy as sa

from ..binding import sqlalchemy_type
from ..errors import SpecError
from ..schema.model import ColumnType
from . import showing
from .compare_plan import RESERVED, TOTALS, Plan, answer
from .comparison import Comparison, Counts, Duplicate, FieldDiff, describe
from .projection import Projection, table_projection

__all__ = [
    "Comparison",
    "Counts",
    "Duplicate",
    "FieldDiff",
    "Projection",
    "compare",
    "compare_rows",
    "create_temp_as",
    "describe",
    "table_projection",
]

DEFAULT_LIMIT = 20


def compare(conn: sa.Connection, old: Projection, new: Projection, key: Sequence[str],
            fields: Sequence[str], *, limit: int = DEFAULT_LIMIT,
            plans: dict[Any, Any] | None = None) -> Comparison:
    """Compare `old` and `new` as multisets of (key, fields) rows, inside the database.

    `key` and `fields` are compared names (a field also in `key` is compared once).
    One query, one aggregation over both sides, answers with the totals and the
    differing rows of up to `limit` keys to show; only when something differs, a second
    asks how many rows those keys have on each side (duplicates). Rows of one key
    missing on one side and extra on the other become field-level `changed` entries.
    `plans` (a dict the caller keeps) caches the built query for projections compared
    again and again.
    """
    key, names = list(key), list(dict.fromkeys([*key, *fields]))
    if not key:
        raise SpecError("compare: key names no column")
    if RESERVED & set(names):
        raise SpecError(f"compare: {', '.join(sorted(RESERVED & set(names)))} is reserved "
                        "for the comparison's own columns; rename it in the projection")
    cache_key = (conn.dialect.name, id(old), id(new), tuple(key), tuple(names), limit)
    plan = plans.get(cache_key) if plans is not None else None
    if plan is None:
        plan = Plan.build(conn, old, new, key, names, limit)
        if plans is not None:
            plans[cache_key] = plan
    rows = answer(conn, plan, reused=plans is not None)
    totals = [int(v) for v in rows[0][1:1 + TOTALS]]  # in the order of Counts' fields
    if totals[2] == 0 and totals[3] == 0:  # no missing, no extra row
        return Comparison(True, tuple(key), tuple(names), counts=Counts(*totals))
    # (names..., old count, new count) of each differing row shown
    sample = [r[1 + TOTALS:-1] for r in rows[1:]]
    shown = list(dict.fromkeys(tuple(r[names.index(c)] for c in key) for r in sample))
    dups = conn.execute(plan.duplicates_query(shown)).all() if shown else []
    duplicates = [Duplicate(tuple(r[: len(key)]), int(r[-2]), int(r[-1])) for r in dups]
    counts = replace(Counts(*totals), duplicate_keys_old=sum(d.old_count > 1 for d in duplicates),
                     duplicate_keys_new=sum(d.new_count > 1 for d in duplicates))
    missing, extra, changed = _pair(sample, key, names)
    # Name what decodes alike (JSON null and SQL NULL are both None): see `showing`.
    changed = showing.explain(conn, old, new, key, names, sample, changed, missing, extra)
    return Comparison(False, tuple(key), tuple(names), missing, extra, changed, duplicates,
                      counts, truncated=counts.differing_keys > limit)


def _same(a: Any, b: Any) -> bool:
    """Python equality, NaN equal to NaN as in the database's GROUP BY."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return bool(a == b)


def _pair(sample: Iterable[Sequence[Any]], key: Sequence[str], names: Sequence[str]
          ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[FieldDiff]]:
    """Turn differing groups into missing rows, extra rows and changed fields.

    Per key, each old row left over is paired with the new row it differs from in the
    fewest fields; what stays unpaired is missing (old only) or extra (new only).
    """
    by_key: dict[tuple[Any, ...], tuple[list[dict[str, Any]], list[dict[str, Any]]]] = {}
    for r in sample:
        values = dict(zip(names, r[: len(names)], strict=True))
        olds, news = by_key.setdefault(tuple(values[c] for c in key), ([], []))
        surplus = int(r[-2]) - int(r[-1])
        (olds if surplus > 0 else news).extend([values] * abs(surplus))
    missing, extra, changed = [], [], []
    for k, (olds, news) in by_key.items():
        for o in olds:
            if not news:
                missing.append(o)
                continue
            best = min(news, key=lambda nr: sum(not _same(o[f], nr[f]) for f in names))
            news.remove(best)
            changed += [FieldDiff(k, f, o[f], best[f]) for f in names
                        if not _same(o[f], best[f])]
        extra += news
    return missing, extra, changed


# --- rows from outside the database --------------------------------------------------------

def compare_rows(conn: sa.Connection, old: Projection, rows: Iterable[Mapping[str, Any]],
                 key: Sequence[str], fields: Sequence[str], *, label: str = "new",
                 types: Mapping[str, ColumnType] | None = None,
                 limit: int = DEFAULT_LIMIT) -> Comparison:
    """Compare `old` with rows that are not in SQL (a document store, a file).

    The rows go into a TEMPORARY table created as `old`'s columns (so on Postgres it has
    old's exact types), then the one SQL comparison runs. Python values are bound through
    the SQLAlchemy type of `types` (default `old.types`), so a datetime is stored as
    SQLAlchemy stores it on SQLite; without types, as the driver binds it. A field a row
    lacks is NULL (document stores often omit nulls). The table is dropped afterwards.
    """
    names = list(dict.fromkeys([*key, *fields]))
    types = dict(old.types if types is None else types)
    name = f"dw_rows_{uuid.uuid4().hex[:12]}"
    source = old.subquery(names, "dw_old")
    shape = sa.select(*(source.c[n] for n in names)).limit(0)
    create_temp_as(conn, name, shape)
    drop = f"DROP TABLE {conn.dialect.identifier_preparer.quote(name)}"
    try:
        target = sa.table(name, *(sa.column(n, sqlalchemy_type(types[n]) if n in types
                                            else sa.types.NullType()) for n in names))
        batch = [{n: r.get(n) for n in names} for r in rows]
        if batch:
            conn.execute(sa.insert(target), batch)
        new = Projection(sa.select(*(target.c[n] for n in names)), label, types)
        result = compare(conn, old, new, key, fields, limit=limit)
    except BaseException:
        # In an aborted Postgres transaction the DROP fails too; the temporary table then
        # goes with the session, and the first error is the one worth showing.
        with contextlib.suppress(sa.exc.DBAPIError):
            conn.exec_driver_sql(drop)
        raise
    conn.exec_driver_sql(drop)
    return result


def create_temp_as(conn: sa.Connection, name: str, select: sa.Select[Any]) -> None:
    """CREATE TEMPORARY TABLE name AS select: SQLAlchemy 2.1's construct, else by hand."""
    create_as = getattr(sa, "CreateTableAs", None)
    if create_as is not None:
        conn.execute(create_as(select, name, temporary=True))
        return
    sql = select.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True})
    quoted = conn.dialect.identifier_preparer.quote(name)
    conn.exec_driver_sql(f"CREATE TEMPORARY TABLE {quoted} AS {sql}")

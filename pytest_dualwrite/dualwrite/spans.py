"""`spans=`: the tables a `new` SELECT joins, so rows the join drops are findings.

A 1->N split is compared through a SELECT that joins the new tables back into the old
rows' shape. An inner join hides exactly the rows a split gets wrong: an output whose run
is gone (an orphaned child) and a run left without outputs (a parent without children)
produce no row of `new`, so `old` and `new` can be equal while the new tables hold
garbage. `spans={"runs": "run_id", "outputs": ["run_id", "name"]}` names each table with
its key columns, which the SELECT also outputs under the same names; a row of a named
table whose key the SELECT never outputs is a finding, shown as that table's row.

One anti-join per table, in the database, all asked in one query: no row is fetched unless
one is unreached.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..errors import SpecError

if TYPE_CHECKING:
    from ..schema.model import Schema
    from .spec import DualWrite

SHOWN = 5  # unreached rows shown per table


@dataclass(frozen=True)
class Unreached:
    """Rows of a spanned table that no row of `new` reaches (samples, and how many)."""

    table: str
    columns: tuple[str, ...]
    count: int
    rows: list[dict[str, Any]]


def spanned(spec: DualWrite) -> dict[str, tuple[str, ...]]:
    """table -> its key columns, as `spans=` gives them (a name or a list of names)."""
    spans = spec.spans or {}
    return {table: (cols,) if isinstance(cols, str) else tuple(cols)
            for table, cols in spans.items()}


def check_shape(spec: DualWrite) -> None:
    """`spans=` without the schema: a dict of table -> column(s), and `new` a SELECT."""
    from .spec import _is_select

    if spec.spans is None:
        return
    if not isinstance(spec.spans, Mapping) or not spec.spans:
        raise SpecError("spans= must be a dict of table -> key column(s) of that table, "
                        f"got {spec.spans!r}")
    if not (isinstance(spec.new, str) and _is_select(spec.new)):
        raise SpecError("spans= names the tables a SELECT joins: new= must be that SELECT "
                        "(a table compared alone hides no row, a callable is not SQL)")
    for table, cols in spec.spans.items():
        names = [cols] if isinstance(cols, str) else cols
        if not isinstance(table, str) or not isinstance(names, Sequence) or not names \
                or not all(isinstance(c, str) and c for c in names):
            raise SpecError(f"spans[{table!r}] must be a column name or a list of names, "
                            f"got {cols!r}")


def validate(spec: DualWrite, schema: Schema, prefix: str, label: str) -> None:
    """Each spanned table and its key columns exist where `new` is read."""
    for table, cols in spanned(spec).items():
        if not schema.has_table(table):
            known = ", ".join(schema.table_names) or "no tables"
            raise SpecError(f"{prefix}{label}: spans names {table!r}, which is not a table "
                            f"at migration {spec.expand} (tables: {known})")
        columns = schema.table(table).column_names
        for col in cols:
            if col.lower() not in columns:
                raise SpecError(f"{prefix}{label}: spans[{table!r}] names {col!r}, which is "
                                f"not a column of {table!r} (columns: {', '.join(columns)})")


@dataclass(frozen=True)
class _Anti:
    """One spanned table's anti-join: its rows whose key no row of `new` holds."""

    table: str
    columns: tuple[str, ...]
    missing: sa.Select[Any]


# (id(spec), id(schema)) -> (spec, schema, anti-joins, the one query asking which have rows).
# A check runs them after every step of every example: built once, not per call (they were
# 15% of a split spec's example on Postgres). The spec and schema are kept to tell an id
# reused by another object.
_BUILT: dict[tuple[int, int], tuple[Any, Any, list[_Anti], Any]] = {}
_KEPT = 64


def _anti_joins(spec: DualWrite, schema: Schema | None) -> tuple[list[_Anti], Any]:
    key = (id(spec), id(schema))
    hit = _BUILT.get(key)
    if hit is not None and hit[0] is spec and hit[1] is schema:
        return hit[2], hit[3]
    text = sa.text(str(spec.new).strip().rstrip(";").replace(":", "\\:"))
    antis = []
    for name, cols in spanned(spec).items():
        found = schema.table(name) if schema is not None and schema.has_table(name) else None
        sql_name = found.sql_name if found is not None else name
        spelled = [found.column(c).sql_name if found is not None else c for c in cols]
        columns = list(found.column_names) if found is not None else list(spelled)
        if found is not None:
            columns = [found.column(c).sql_name for c in columns]
        table = sa.table(sql_name, *(sa.column(c) for c in dict.fromkeys([*columns,
                                                                          *spelled])))
        new = text.columns(*(sa.column(c) for c in dict.fromkeys(cols))).subquery("dw_span")
        reached = sa.exists().where(*(new.c[c] == table.c[s] for c, s in
                                      zip(cols, spelled, strict=True)))
        antis.append(_Anti(name, cols, sa.select(*(table.c[c] for c in columns))
                           .where(~reached)))
    # One round trip when nothing is unreached (every check but a failing one).
    which = sa.select(*(sa.exists(a.missing).label(f"t{i}") for i, a in enumerate(antis)))
    if len(_BUILT) >= _KEPT:
        _BUILT.clear()
    _BUILT[key] = (spec, schema, antis, which)
    return antis, which


def unreached(conn: sa.Connection, spec: DualWrite, schema: Schema | None) -> list[Unreached]:
    """Rows of each spanned table whose key no row of `new` holds."""
    out: list[Unreached] = []
    if not spec.spans:
        return out
    antis, which = _anti_joins(spec, schema)
    flags = conn.execute(which).one()
    for anti, flagged in zip(antis, flags, strict=True):
        if not flagged:
            continue
        rows = [dict(r) for r in conn.execute(anti.missing.limit(SHOWN)).mappings()]
        count = len(rows) if len(rows) < SHOWN else conn.execute(
            sa.select(sa.func.count()).select_from(anti.missing.subquery())).scalar_one()
        out.append(Unreached(anti.table, anti.columns, int(count), rows))
    return out


def describe_unreached(found: list[Unreached], new_label: str) -> list[str]:
    """One line a row: which table, its key, its other columns, and why it matters."""
    lines = []
    for u in found:
        lines.append(f"{u.table}: {u.count} row(s) that no row of {new_label} reaches "
                     "(a child whose parent is gone, or a parent left without children)")
        for row in u.rows:
            key = ", ".join(f"{c}={row.get(c)!r}" for c in u.columns)
            rest = ", ".join(f"{c}={v!r}" for c, v in row.items() if c not in u.columns)
            lines.append(f"{key}: in {u.table}, not in {new_label}" +
                         (f" ({rest})" if rest else ""))
    return lines


def differences(found: list[Unreached]) -> list[dict[str, Any]]:
    """The report's records: kind `unreached`, the table, its key, the row as `new`."""
    out = []
    for u in found:
        for row in u.rows:
            key = [row.get(c) for c in u.columns]
            out.append({"kind": "unreached", "table": u.table,
                        "key": key[0] if len(key) == 1 else key, "field": None,
                        "old": None, "new": row})
    return out

"""Are two projections of the same records equal? Asked of the database, not of Python.

Both sides live in one database, so the comparison is one set query there: every row of
`old` counts +1 on the left and every row of `new` +1 on the right of a `UNION ALL`,
grouped by all compared columns. A group whose two counts differ is a difference; the
counts make it a multiset comparison (a row copied twice is caught), and `GROUP BY`
puts NULLs in one group on SQLite and Postgres alike, so NULL equals NULL with no
`IS NOT DISTINCT FROM`. No join, no `EXCEPT ALL` (SQLite has none), no row fetched
unless something differs; then at most `limit` keys are fetched to be shown.

Values compare as the database stores them: `''` is not NULL, `'a '` is not `'a'`, and on
SQLite a timestamp is the text SQLAlchemy or the application wrote. Where the two sides'
column types differ, both are cast to one type, and only then: see `_casts`.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import uuid
import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from dataclasses import fields as fields_of
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from ..binding import sqlalchemy_type
from ..errors import DualWriteAssertion, SpecError
from ..schema.model import ColumnType, Table
from . import showing
from .long_values import show_one, show_pair

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
_OLD_N, _NEW_N = "dw_old_n", "dw_new_n"  # internal column names ...
_RESERVED = {_OLD_N, _NEW_N, "dw_key_old_n", "dw_key_new_n", "dw_miss", "dw_extra", "dw_rank"}
_NUMBERS = {"integer", "numeric", "float"}  # Postgres unions these without a cast
_PG_DATETIMES = {"date", "timestamp", "timestamptz"}  # ... and these (in the session zone)


@dataclass(frozen=True)
class Projection:
    """A SELECT whose output columns are named by the compared names.

    `query` is a SQLAlchemy selectable or SELECT text; `types` (compared name -> the
    column's `ColumnType`, from the Schema) is optional and only used to find columns
    whose types differ between the two sides on SQLite, and to bind Python rows in
    `compare_rows`. `label` names the side in messages (a table name, or "new").
    """

    query: sa.Select[Any] | sa.TextClause | str
    label: str = "projection"
    types: Mapping[str, ColumnType] = field(default_factory=dict)

    @classmethod
    def from_sql(cls, sql: str, *, label: str = "query",
                 types: Mapping[str, ColumnType] | None = None) -> Projection:
        """A user's SELECT text; its output columns must carry the compared names."""
        return cls(sql.strip().rstrip(";").strip(), label, dict(types or {}))

    def subquery(self, names: Sequence[str], alias: str) -> sa.Subquery:
        """This projection as `(SELECT ...) AS alias`, exposing `names` as columns."""
        query = self.query
        if isinstance(query, str):  # plain SQL: a ':' is text ('10:30'), not a bind
            query = sa.text(query.replace(":", "\\:"))
        if isinstance(query, sa.TextClause):
            return query.columns(*(sa.column(n) for n in names)).subquery(alias)
        return query.subquery(alias)


def table_projection(table_name: str, key_cols: Sequence[str],
                     columns: Mapping[str, str] | Sequence[str] = (), *,
                     as_names: Sequence[str] | None = None, schema: str | None = None,
                     table: Table | None = None, label: str | None = None) -> Projection:
    """Key and mapped columns of one table, renamed to the names both sides share.

    `key_cols` are this table's key columns, renamed to `as_names` (default: unchanged).
    `columns` maps a compared name to this table's column (`{"description":
    "research_context"}`), or lists columns compared under their own name. Identifiers are
    quoted by SQLAlchemy, never pasted into SQL. With `table` (the Schema's), each compared
    name carries the column's type.
    """
    names = list(as_names) if as_names is not None else list(key_cols)
    if len(names) != len(key_cols):
        raise SpecError(f"{table_name}: {len(key_cols)} key columns {list(key_cols)} but "
                        f"{len(names)} names {names}")
    mapped = dict(columns) if isinstance(columns, Mapping) else {c: c for c in columns}
    pairs = [*zip(names, key_cols, strict=True),
             *((name, col) for name, col in mapped.items() if name not in names)]
    source = sa.table(table_name, *(sa.column(col) for _, col in pairs), schema=schema)
    query = sa.select(*(source.c[col].label(name) for name, col in pairs))
    types = {}
    if table is not None:
        types = {name: table.column(col).type for name, col in pairs
                 if col.lower() in table.column_names}
    return Projection(query, label or table_name, types)


@dataclass(frozen=True)
class FieldDiff:
    """One field of one key whose value differs: the line a person reads first."""

    key: tuple[Any, ...]
    field: str
    old_value: Any
    new_value: Any


@dataclass(frozen=True)
class Duplicate:
    """A key held by more than one row on a side (a backfill that ran twice)."""

    key: tuple[Any, ...]
    old_count: int
    new_count: int


@dataclass(frozen=True)
class Counts:
    """Totals over every row, computed in SQL (the lists below are only samples)."""

    old_rows: int = 0
    new_rows: int = 0
    missing_rows: int = 0  # rows of old with no equal row in new, counting copies
    extra_rows: int = 0  # rows of new with no equal row in old, counting copies
    differing_keys: int = 0
    changed_keys: int = 0  # keys with rows on both sides that differ
    missing_keys: int = 0  # keys only old has
    extra_keys: int = 0  # keys only new has (or more copies of)
    duplicate_keys_old: int = 0
    duplicate_keys_new: int = 0


@dataclass(frozen=True)
class Comparison:
    """The answer: `equal`, and for a difference, samples of the first `limit` keys."""

    equal: bool
    key: tuple[str, ...]
    fields: tuple[str, ...]
    missing: list[dict[str, Any]] = field(default_factory=list)  # in old, not in new
    extra: list[dict[str, Any]] = field(default_factory=list)  # in new, not in old
    changed: list[FieldDiff] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    counts: Counts = field(default_factory=Counts)
    truncated: bool = False  # more keys differ than were fetched

    def __bool__(self) -> bool:
        return self.equal

    def check(self, old_label: str = "old", new_label: str = "new",
              title: str | None = None) -> None:
        """Raise the assertion pytest prints as a story when the sides differ."""
        if not self.equal:
            summary = title or f"{old_label} and {new_label} differ"
            raise DualWriteAssertion(summary,
                                     [("differences", describe(self, old_label, new_label))])


# --- the query ----------------------------------------------------------------------------

def _pg_kinds(conn: sa.Connection, sub: sa.Subquery,
              names: Sequence[str]) -> dict[str, tuple[str, str]]:
    """name -> (type name, type category) of what a Postgres projection returns."""
    result = conn.execute(sa.select(*(sub.c[n] for n in names)).limit(0))
    description: Sequence[Sequence[Any]] = result.cursor.description  # (name, type_oid, ...)
    oids = [int(col[1]) for col in description]
    result.close()
    rows = conn.execute(
        sa.text("SELECT oid::int8, typname::text, typcategory::text FROM pg_type "
                "WHERE oid::int8 IN :oids").bindparams(sa.bindparam("oids", expanding=True)),
        {"oids": sorted(set(oids))}).all()
    found = {oid: (name, cat) for oid, name, cat in rows}
    return {n: found.get(oid, ("unknown", "X")) for n, oid in zip(names, oids, strict=True)}


def _casts(conn: sa.Connection, old: Projection, new: Projection, o: sa.Subquery,
           n: sa.Subquery, names: Sequence[str]) -> dict[str, sa.types.TypeEngine[Any]]:
    """The compared names whose two sides must be cast to one type, and to which.

    Only where the types differ, so a value is otherwise compared exactly as stored.
    Postgres: the result types are read from the database; `json` (which has no `=`) is
    compared as `jsonb`; numbers, strings, and date/timestamp/timestamptz need no cast
    (the UNION widens int4 to int8, varchar to text, timestamp to timestamptz in the
    session time zone); any other pair of different types (timestamp vs text, an enum vs
    text, two enum types) is cast to text on both sides, i.e. compared by the text
    Postgres renders, so a text column holding '2024-01-01T10:00' differs from a
    timestamp: the representation changed. SQLite has no result types, so
    `Projection.types` decide: families that differ (beyond numbers) compare as TEXT.
    """
    casts: dict[str, sa.types.TypeEngine[Any]] = {}
    if conn.dialect.name == "postgresql":
        ok, nk = _pg_kinds(conn, o, names), _pg_kinds(conn, n, names)
        for name in names:
            (otype, ocat), (ntype, ncat) = ok[name], nk[name]
            if {otype, ntype} <= {"json", "jsonb"} and "json" in (otype, ntype):
                casts[name] = postgresql.JSONB()
            elif otype != ntype and not (ocat == ncat and ocat in "NS") \
                    and not {otype, ntype} <= _PG_DATETIMES:
                casts[name] = sa.Text()
        return casts
    for name in names:
        ot, nt = old.types.get(name), new.types.get(name)
        if ot and nt and ot.family != nt.family and not {ot.family, nt.family} <= _NUMBERS:
            casts[name] = sa.Text()
    return casts


def _side(sub: sa.Subquery, names: Sequence[str], casts: Mapping[str, Any],
          is_old: bool) -> sa.Select[Any]:
    cols = [sa.cast(sub.c[n], casts[n]).label(n) if n in casts else sub.c[n].label(n)
            for n in names]
    return sa.select(*cols, sa.literal_column("1" if is_old else "0").label(_OLD_N),
                     sa.literal_column("0" if is_old else "1").label(_NEW_N))


def _positive(expr: Any) -> sa.Case[Any]:
    return sa.case((expr > 0, expr), else_=0)


def _flag(cond: Any) -> sa.Case[Any]:
    return sa.case((cond, 1), else_=0)


@dataclass(frozen=True)
class _Plan:
    """The comparison's query for one pair of projections, built once and re-run.

    Checks compare again and again: building the query (and on Postgres reading the
    result types) each time cost more than running it.

    `query` answers in one pass over both sides: a first row with the totals
    (`dw_part` 0), then the differing rows of the first `limit` differing keys (`dw_part`
    1; none when the sides are equal). The grouped rows are used twice, so the database
    keeps them rather than aggregating both sides again for the sample.
    """

    old: Projection  # kept alive: the cache is keyed by their ids
    new: Projection
    per_key: Any
    query: Any
    limit: int
    name: str = field(default_factory=lambda: f"dw_compare_{next(_plan_numbers)}")
    # dialect name -> the query's text for PREPARE (None: it cannot be prepared as text)
    prepared_sql: dict[str, str | None] = field(default_factory=dict)

    def sql_to_prepare(self, conn: sa.Connection) -> str | None:
        """The query as literal SQL, compiled once per dialect; None when it holds a `%`,
        which the driver's placeholder escaping has doubled (not what PREPARE wants)."""
        dialect = conn.dialect.name
        if dialect not in self.prepared_sql:
            sql = str(self.query.compile(dialect=conn.dialect,
                                         compile_kwargs={"literal_binds": True}))
            self.prepared_sql[dialect] = None if "%" in sql else sql
        return self.prepared_sql[dialect]

    @classmethod
    def build(cls, conn: sa.Connection, old: Projection, new: Projection, key: list[str],
              names: list[str], limit: int) -> _Plan:
        o, n = old.subquery(names, "dw_old"), new.subquery(names, "dw_new")
        casts = _casts(conn, old, new, o, n, names)
        union = sa.union_all(_side(o, names, casts, True), _side(n, names, casts, False))
        u = union.subquery("dw_union")
        groups = sa.select(*(u.c[c] for c in names),
                           sa.func.sum(u.c[_OLD_N]).label(_OLD_N),
                           sa.func.sum(u.c[_NEW_N]).label(_NEW_N)
                           ).group_by(*(u.c[c] for c in names)).cte("dw_groups")
        on, nn = groups.c[_OLD_N], groups.c[_NEW_N]
        per_key = sa.select(*(groups.c[c] for c in key),
                            sa.func.sum(on).label("dw_key_old_n"),
                            sa.func.sum(nn).label("dw_key_new_n"),
                            sa.func.sum(_positive(on - nn)).label("dw_miss"),
                            sa.func.sum(_positive(nn - on)).label("dw_extra"),
                            ).group_by(*(groups.c[c] for c in key)).cte("dw_keys")
        k = per_key.c
        k_old, k_new, k_miss, k_extra = k.dw_key_old_n, k.dw_key_new_n, k.dw_miss, k.dw_extra
        totals = [sa.func.coalesce(sa.func.sum(e), 0).label(f"dw_t{i}") for i, e in enumerate((
            k_old, k_new, k_miss, k_extra,
            _flag((k_miss > 0) | (k_extra > 0)), _flag((k_miss > 0) & (k_extra > 0)),
            _flag((k_miss > 0) & (k_extra == 0)), _flag((k_extra > 0) & (k_miss == 0)),
            _flag(k_old > 1), _flag(k_new > 1),
        ))]
        # The first `limit` differing keys, every differing row of each.
        diff = sa.select(groups, sa.func.dense_rank().over(
            order_by=[groups.c[c] for c in key]).label("dw_rank")
        ).where(on != nn).subquery("dw_diff")
        blank = [sa.null().label(f"dw_t{i}") for i in range(len(totals))]
        first = sa.select(sa.literal_column("0").label("dw_part"), *totals,
                          *(sa.null().label(c) for c in names), sa.null().label(_OLD_N),
                          sa.null().label(_NEW_N), sa.null().label("dw_rank"))
        rest = sa.select(sa.literal_column("1").label("dw_part"), *blank,
                         *(diff.c[c] for c in names), diff.c[_OLD_N], diff.c[_NEW_N],
                         diff.c.dw_rank).where(diff.c.dw_rank <= limit)
        both = sa.union_all(first, rest).subquery("dw_answer")
        query = sa.select(both).order_by(both.c.dw_part, both.c.dw_rank)
        return cls(old, new, per_key, query, limit)


_plan_numbers = itertools.count(1)
# The plans each Postgres session has prepared (PREPARE outlives a rolled-back transaction).
_PREPARED: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()


def _answer(conn: sa.Connection, plan: _Plan, reused: bool) -> Sequence[Sequence[Any]]:
    """Run a plan's query; on Postgres as a statement prepared once per session.

    Each example is rolled back, and a rolled-back session re-parses and re-plans every
    statement: for this query that was five times the cost of running it. A PREPAREd
    statement survives the rollback (and is re-planned by the server if a table it reads
    was re-created). Only where the driver does not prepare on its own (psycopg with
    `prepare_threshold=None`, as the plugin's Postgres engines are), since psycopg
    deallocates everything at a rollback when it has prepared anything itself. And only
    for a plan the caller keeps (`reused`): a statement prepared for one use would stay
    in the session for nothing.
    """
    dbapi = conn.connection.dbapi_connection
    if not reused or conn.dialect.name != "postgresql" or dbapi is None \
            or getattr(dbapi, "prepare_threshold", 0) is not None:
        return conn.execute(plan.query).all()
    sql = plan.sql_to_prepare(conn)
    if sql is None:
        return conn.execute(plan.query).all()
    names = _PREPARED.setdefault(dbapi, set())
    plain = conn.execution_options(no_parameters=True)
    if plan.name not in names:
        plain.exec_driver_sql(f"PREPARE {plan.name} AS {sql}")
        names.add(plan.name)
    return plain.exec_driver_sql(f"EXECUTE {plan.name}").all()


def compare(conn: sa.Connection, old: Projection, new: Projection, key: Sequence[str],
            fields: Sequence[str], *, limit: int = DEFAULT_LIMIT,
            plans: dict[Any, Any] | None = None) -> Comparison:
    """Compare `old` and `new` as multisets of (key, fields) rows, inside the database.

    `key` and `fields` are compared names (a field also in `key` is compared once).
    One query, one pass over both sides, answers with the totals and the differing rows
    of up to `limit` keys to show; a second fetches duplicate keys, only when the totals
    say there are some. Rows of one key missing on one side and
    extra on the other become field-level `changed` entries. `plans` (a dict the caller
    keeps) caches the built query for projections compared again and again.
    """
    key, names = list(key), list(dict.fromkeys([*key, *fields]))
    if not key:
        raise SpecError("compare: key names no column")
    if _RESERVED & set(names):
        raise SpecError(f"compare: {', '.join(sorted(_RESERVED & set(names)))} is reserved "
                        "for the comparison's own columns; rename it in the projection")
    cache_key = (conn.dialect.name, id(old), id(new), tuple(key), tuple(names), limit)
    plan = plans.get(cache_key) if plans is not None else None
    if plan is None:
        plan = _Plan.build(conn, old, new, key, names, limit)
        if plans is not None:
            plans[cache_key] = plan
    k = plan.per_key.c
    k_old, k_new = k.dw_key_old_n, k.dw_key_new_n
    rows = _answer(conn, plan, reused=plans is not None)
    totals_at = slice(1, 1 + len(fields_of(Counts)))
    counts = Counts(*(int(v) for v in rows[0][totals_at]))  # in the order of Counts' fields
    if counts.missing_rows == 0 and counts.extra_rows == 0:
        return Comparison(True, tuple(key), tuple(names), counts=counts)
    # (names..., old count, new count) of each differing row shown
    sample = [r[totals_at.stop:-1] for r in rows[1:]]
    dups: Sequence[Sequence[Any]] = []
    if counts.duplicate_keys_old or counts.duplicate_keys_new:  # else a third pass for nothing
        dups = conn.execute(sa.select(*(k[c] for c in key), k_old, k_new)
                            .where((k_old > 1) | (k_new > 1))
                            .order_by(*(k[c] for c in key)).limit(limit)).all()
    missing, extra, changed = _pair(sample, key, names)
    # Name what decodes alike (JSON null and SQL NULL are both None): see `showing`.
    changed = showing.explain(conn, old, new, key, names, sample, changed, missing, extra)
    return Comparison(
        False, tuple(key), tuple(names), missing, extra, changed,
        [Duplicate(tuple(r[: len(key)]), int(r[-2]), int(r[-1])) for r in dups],
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


# --- what a person reads --------------------------------------------------------------------

def _show(value: Any) -> str:
    """A value as a person compares it: strings quoted (so '' and 'a ' show), None as
    None, dates in ISO form down to the microsecond, Decimals and UUIDs as written."""
    if isinstance(value, (datetime, date, time)):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    if isinstance(value, (Decimal, uuid.UUID)):
        return str(value)
    return repr(value)


def _key_text(names: Sequence[str], key: Sequence[Any]) -> str:
    return ", ".join(f"{n}={_show(v)}" for n, v in zip(names, key, strict=True))


def describe(comparison: Comparison, old_label: str = "old", new_label: str = "new",
             new_names: Mapping[str, str] | None = None) -> str:
    """Each differing key with its table, field, old and new value; missing and extra
    rows named as such. Strings are quoted, so '', None and 'a ' read differently.

    `new_names` (old field -> new column) labels the new side's value with its own column,
    where the spec renames it; long values show their lengths and first difference."""
    renamed = dict(new_names or {})
    c, n = comparison, comparison.counts
    if c.equal:
        return f"{old_label} and {new_label} are equal ({n.old_rows} rows each)"
    lines = [f"{old_label}: {n.old_rows} rows, {new_label}: {n.new_rows} rows; "
             f"{n.differing_keys} keys differ ({n.changed_keys} changed, {n.missing_keys} "
             f"missing from {new_label}, {n.extra_keys} extra in {new_label})"]
    for d in c.changed:
        new_column = renamed.get(d.field, d.field)
        new_side = f"{new_label}.{new_column}" if new_column != d.field else new_label
        lines.append(f"{_key_text(c.key, d.key)}: {d.field}: "
                     + show_pair(old_label, d.old_value, new_side, d.new_value, _show))
    for r in c.missing:
        lines.append(f"{_key_text(c.key, [r[k] for k in c.key])}: missing from {new_label} "
                     f"(in {old_label}: {_fields_text(r, c)})")
    for r in c.extra:
        lines.append(f"{_key_text(c.key, [r[k] for k in c.key])}: extra in {new_label} "
                     f"(not in {old_label}: {_fields_text(r, c, renamed)})")
    for dup in c.duplicates:
        sides = [f"{count} rows in {label}" for count, label in
                 ((dup.old_count, old_label), (dup.new_count, new_label)) if count > 1]
        lines.append(f"{_key_text(c.key, dup.key)}: duplicate key: {', '.join(sides)}")
    if c.truncated:
        lines.append(f"... and {n.differing_keys - len({*_shown_keys(c)})} more keys")
    return "\n".join(lines)


def _fields_text(row: Mapping[str, Any], c: Comparison,
                 names: Mapping[str, str] | None = None) -> str:
    """A row's fields; named as `names` maps them (the new side's own columns)."""
    names = names or {}
    return ", ".join(f"{names.get(f, f)}={show_one(row[f], _show)}" for f in c.fields
                     if f not in c.key) or "key only"


def _shown_keys(c: Comparison) -> Iterable[tuple[Any, ...]]:
    yield from (d.key for d in c.changed)
    yield from (tuple(r[k] for k in c.key) for r in (*c.missing, *c.extra))

"""The comparison's query: built once per pair of projections, prepared once per session.

Both sides live in one database, so the comparison is one set query there: every row of
`old` counts +1 on the left and every row of `new` +1 on the right of a `UNION ALL`,
grouped by all compared columns (`dw_groups`). A group whose two counts differ is a
difference; the counts make it a multiset comparison (a row copied twice is caught), and
`GROUP BY` puts NULLs in one group on SQLite and Postgres alike, so NULL equals NULL with
no `IS NOT DISTINCT FROM`. That one aggregation is all an equal comparison costs: the
work of one direction of `EXCEPT ALL`, where a two-way `EXCEPT ALL` does two.

Everything else is computed from the differing groups only (`dw_diff`, empty when the
sides are equal): the per-key totals (a key differs when one of its groups does; its
missing and extra rows are the surpluses of its differing groups, since an equal group
adds none) and the differing rows of the first `limit` keys. How many rows each of those
keys has on each side (duplicates) is asked afterwards, of those keys alone
(`duplicates_query`), and only when something differs.

Values compare as the database stores them: `''` is not NULL, `'a '` is not `'a'`, and on
SQLite a timestamp is the text SQLAlchemy or the application wrote. Where the two sides'
column types differ, both are cast to one type, and only then: see `_casts`.
"""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from .projection import Projection

__all__ = ["RESERVED", "TOTALS", "Plan", "answer"]

_OLD_N, _NEW_N = "dw_old_n", "dw_new_n"  # internal column names ...
RESERVED = {_OLD_N, _NEW_N, "dw_miss", "dw_extra", "dw_rank", "dw_part"}
TOTALS = 8  # old rows, new rows, missing rows, extra rows, and the four key counts
_NUMBERS = {"integer", "numeric", "float"}  # Postgres unions these without a cast
_PG_DATETIMES = {"date", "timestamp", "timestamptz"}  # ... and these (in the session zone)


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
class Plan:
    """The comparison's query for one pair of projections, built once and re-run.

    Checks compare again and again: building the query (and on Postgres reading the
    result types) each time cost more than running it.

    `query` answers in one pass over both sides: a first row with the totals
    (`dw_part` 0), then the differing rows of the first `limit` differing keys (`dw_part`
    1; none when the sides are equal). `union` (both sides, flagged) is kept for
    `duplicates_query`.
    """

    old: Projection  # kept alive: the cache is keyed by their ids
    new: Projection
    union: Any
    key: tuple[str, ...]
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

    def duplicates_query(self, keys: Sequence[Sequence[Any]]) -> sa.Select[Any]:
        """Rows per side of each of `keys` (the keys shown), where a side has more than one.

        A NULL in a key matches NULL (`IS NULL`), as the grouping did."""
        u = self.union
        cols = [u.c[c] for c in self.key]

        def same(col: Any, value: Any) -> Any:
            return col.is_(None) if value is None else col == value

        where = sa.or_(*(sa.and_(*(same(c, v) for c, v in zip(cols, k, strict=True)))
                         for k in keys))
        old_n, new_n = sa.func.sum(u.c[_OLD_N]), sa.func.sum(u.c[_NEW_N])
        return (sa.select(*cols, old_n, new_n).where(where).group_by(*cols)
                .having((old_n > 1) | (new_n > 1)).order_by(*cols))

    @classmethod
    def build(cls, conn: sa.Connection, old: Projection, new: Projection, key: list[str],
              names: list[str], limit: int) -> Plan:
        o, n = old.subquery(names, "dw_old"), new.subquery(names, "dw_new")
        casts = _casts(conn, old, new, o, n, names)
        union = sa.union_all(_side(o, names, casts, True), _side(n, names, casts, False))
        u = union.subquery("dw_union")
        groups = sa.select(*(u.c[c] for c in names),
                           sa.func.sum(u.c[_OLD_N]).label(_OLD_N),
                           sa.func.sum(u.c[_NEW_N]).label(_NEW_N)
                           ).group_by(*(u.c[c] for c in names)).cte("dw_groups")
        diff = sa.select(groups).where(groups.c[_OLD_N] != groups.c[_NEW_N]).cte("dw_diff")
        on, nn = diff.c[_OLD_N], diff.c[_NEW_N]
        per_key = sa.select(*(diff.c[c] for c in key),
                            sa.func.sum(_positive(on - nn)).label("dw_miss"),
                            sa.func.sum(_positive(nn - on)).label("dw_extra"),
                            ).group_by(*(diff.c[c] for c in key)).subquery("dw_keys")
        miss, extra = per_key.c.dw_miss, per_key.c.dw_extra
        sides = sa.select(sa.func.coalesce(sa.func.sum(groups.c[_OLD_N]), 0).label("dw_t0"),
                          sa.func.coalesce(sa.func.sum(groups.c[_NEW_N]), 0).label("dw_t1")
                          ).subquery("dw_sides")
        keys = sa.select(*(sa.func.coalesce(sa.func.sum(e), 0).label(f"dw_t{i}")
                           for i, e in enumerate((
                               miss, extra, sa.literal_column("1"),
                               _flag((miss > 0) & (extra > 0)),
                               _flag((miss > 0) & (extra == 0)),
                               _flag((extra > 0) & (miss == 0))), 2))).subquery("dw_kt")
        totals = [*sides.c, *keys.c]
        # The first `limit` differing keys, every differing row of each.
        ranked = sa.select(diff, sa.func.dense_rank().over(
            order_by=[diff.c[c] for c in key]).label("dw_rank")).subquery("dw_ranked")
        blank = [sa.null().label(f"dw_t{i}") for i in range(TOTALS)]
        first = sa.select(sa.literal_column("0").label("dw_part"), *totals,
                          *(sa.null().label(c) for c in names), sa.null().label(_OLD_N),
                          sa.null().label(_NEW_N), sa.null().label("dw_rank")
                          ).select_from(sides.join(keys, sa.true()))
        rest = sa.select(sa.literal_column("1").label("dw_part"), *blank,
                         *(ranked.c[c] for c in names), ranked.c[_OLD_N], ranked.c[_NEW_N],
                         ranked.c.dw_rank).where(ranked.c.dw_rank <= limit)
        both = sa.union_all(first, rest).subquery("dw_answer")
        query = sa.select(both).order_by(both.c.dw_part, both.c.dw_rank)
        return cls(old, new, u, tuple(key), query, limit)


_plan_numbers = itertools.count(1)
# The plans each Postgres session has prepared (PREPARE outlives a rolled-back transaction).
_PREPARED: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()


def answer(conn: sa.Connection, plan: Plan, reused: bool) -> Sequence[Sequence[Any]]:
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

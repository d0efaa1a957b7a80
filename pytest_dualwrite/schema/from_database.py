"""The schema a live database holds, read with SQLAlchemy's Inspector.

Only the default schema, without the plugin's own version table and SQLite's internal
tables: the comparison is about the user's tables. Where the Inspector cannot tell,
the database's own DDL is read instead:

- SQLite keeps each column's declared type text; the Inspector maps unknown spellings
  (`TIMESTAMPTZ`, `UUID_TEXT`) to NUMERIC by affinity, so the declared text is read from
  `PRAGMA table_info` and normalized like the migrations' own types (the transpiler's
  `UUID_TEXT` is a uuid again, see `migrations.sqlite.spelling`), and the CHECKs it adds
  for declared lengths and ranges are left out;
- SQLite's Inspector skips expression indexes and reads checks with a regular expression,
  so indexes and checks come from the `CREATE` statements SQLite stored, folded by the
  same code as the migrations. Where sqlglot cannot read a table's DDL (`ON CONFLICT`
  clauses), its indexes come from the Inspector, `has_checks` is False, and a note says so.
"""

from __future__ import annotations

import warnings
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ..migrations.model import Statement, canonical_dialect
from ..migrations.runner import VERSION_TABLE
from ..migrations.sqlite.types import LIMIT_CHECK_SUFFIX
from .fragments import canonical_default, canonical_sql, index_entry, is_sequence_default
from .from_sql import from_sql
from .model import Check, Column, ForeignKey, Index, Schema, Table, Unique
from .types import DIALECT_CAPABILITIES, from_sqlalchemy, from_type_text

EXCLUDED_TABLES = frozenset({VERSION_TABLE})


def _dialect_name(conn: sa.Connection) -> str:
    try:
        return canonical_dialect(conn.dialect.name)
    except ValueError:
        return conn.dialect.name


def _wanted(name: str) -> bool:
    return name.lower() not in EXCLUDED_TABLES and not name.lower().startswith("sqlite_")


def from_database(bind: sa.Engine | sa.Connection) -> Schema:
    """The schema of the database behind `bind` (an Engine or an open Connection)."""
    context = bind.connect() if isinstance(bind, sa.Engine) else nullcontext(bind)
    with context as conn, warnings.catch_warnings():
        # SQLite's Inspector warns about expression indexes; they are read from the DDL.
        warnings.filterwarnings("ignore", "Skipped unsupported reflection", sa.exc.SAWarning)
        inspector = sa.inspect(conn)
        dialect = _dialect_name(conn)
        ddl = _sqlite_ddl(conn) if dialect == "sqlite" else None
        names = sorted(n for n in inspector.get_table_names() if _wanted(n))
        source = _Bulk(inspector, names) if dialect == "postgres" else inspector
        tables = tuple(_table(source, conn, dialect, n, ddl) for n in names)
        enums: tuple[tuple[str, tuple[str, ...]], ...] = ()
        if hasattr(inspector, "get_enums"):
            enums = tuple(sorted((e["name"].lower(), tuple(e["labels"]))
                                 for e in inspector.get_enums() if e.get("visible", True)))
    caps = DIALECT_CAPABILITIES.get(dialect, {})
    return Schema(tables, enums, ddl.notes if ddl else (), source=dialect,
                  exact_types=caps.get("exact_types", True),
                  has_checks=ddl is None or all(ddl.has_table(t.name) for t in tables),
                  has_enums=caps.get("has_enums", True))


class _Bulk:
    """The Inspector's per-table questions, answered from one query per kind for all
    tables (SQLAlchemy 2's `get_multi_*`): on Postgres each per-table call is a round
    trip, six a table, and a history of 100 tables waited on 600 of them."""

    def __init__(self, inspector: Any, names: list[str]) -> None:
        self._inspector, self._names = inspector, names
        self._kinds: dict[str, dict[Any, Any]] = {}
        self.default_schema_name = inspector.default_schema_name

    def _get(self, kind: str, name: str) -> Any:
        if kind not in self._kinds:
            fetch = getattr(self._inspector, f"get_multi_{kind}")
            self._kinds[kind] = {key[1]: value for key, value in
                                 fetch(filter_names=self._names).items()}
        return self._kinds[kind][name]

    def get_columns(self, name: str) -> Any:
        return self._get("columns", name)

    def get_pk_constraint(self, name: str) -> Any:
        return self._get("pk_constraint", name)

    def get_foreign_keys(self, name: str) -> Any:
        return self._get("foreign_keys", name)

    def get_unique_constraints(self, name: str) -> Any:
        return self._get("unique_constraints", name)

    def get_indexes(self, name: str) -> Any:
        return self._get("indexes", name)

    def get_check_constraints(self, name: str) -> Any:
        return self._get("check_constraints", name)


def _sqlite_ddl(conn: sa.Connection) -> Schema:
    """SQLite's stored CREATE TABLE / CREATE INDEX statements, folded like migrations."""
    rows = conn.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL AND type IN ('table', 'index')"
        " ORDER BY type = 'index', rowid").all()
    statements = [Statement(sql, Path(f"sqlite_master[{name}]"), 1, sql)
                  for name, sql in rows if _wanted(name)]
    return from_sql(statements, "sqlite")


def _declared_types(conn: sa.Connection, table: str) -> dict[str, str]:
    quoted = '"' + table.replace('"', '""') + '"'
    rows = conn.exec_driver_sql(f"PRAGMA main.table_info({quoted})").all()
    return {row[1].lower(): row[2] or "" for row in rows}


def _table(inspector: Any, conn: sa.Connection, dialect: str, name: str,
           ddl: Schema | None) -> Table:
    pk_info = inspector.get_pk_constraint(name)
    pk = tuple(c.lower() for c in pk_info.get("constrained_columns") or ())
    declared = _declared_types(conn, name) if dialect == "sqlite" else {}
    columns = []
    for info in inspector.get_columns(name):
        col_name = info["name"].lower()
        if col_name in declared:
            ctype = from_type_text(declared[col_name], dialect)
        else:
            ctype = from_sqlalchemy(info["type"])
        default = info.get("default")
        auto = bool(info.get("identity")) or is_sequence_default(default)
        if dialect == "sqlite":  # a lone INTEGER PRIMARY KEY is the rowid
            auto = pk == (col_name,) and declared.get(col_name, "").strip().upper() == "INTEGER"
        columns.append(Column(
            col_name, ctype, nullable=bool(info["nullable"]) and col_name not in pk,
            default=None if auto else canonical_default(default, dialect, ctype),
            autoincrement=auto, real=_real(info["name"])))
    fks = frozenset(_foreign_key(fk, inspector.default_schema_name)
                    for fk in inspector.get_foreign_keys(name))
    uniques = frozenset(Unique(tuple(c.lower() for c in u["column_names"]), u.get("name"))
                        for u in inspector.get_unique_constraints(name))
    if ddl is not None and ddl.has_table(name):
        # SQLite's Inspector loses ON DELETE of inline REFERENCES and inline UNIQUE after a
        # sized type; the stored DDL, folded like a migration, has both.
        stored = ddl.table(name)
        indexes = stored.indexes
        checks = frozenset(c for c in stored.checks if not _ours(c))
        fks, uniques = stored.foreign_keys, stored.uniques
    else:  # Postgres; or SQLite DDL sqlglot could not read (then checks are not compared)
        indexes = frozenset(_index(i, dialect) for i in inspector.get_indexes(name)
                            if not i.get("duplicates_constraint"))
        checks = frozenset() if ddl is not None else frozenset(
            Check(canonical_sql(c["sqltext"], dialect), c.get("name"))
            for c in inspector.get_check_constraints(name))
    return Table(name.lower(), tuple(columns), pk, fks, uniques, indexes, checks,
                 real=_real(name))


def _real(name: str) -> str | None:
    """The database's own spelling, kept where folding changes it: Postgres keeps the
    case of a quoted name ("Accounts"), and only that spelling finds it."""
    return name if name != name.lower() else None


def _ours(check: Check) -> bool:
    """A CHECK the transpiler added so SQLite refuses what Postgres refuses for a declared
    type (`varchar(n)`): part of the type, not of the user's schema."""
    return (check.name or "").lower().endswith(LIMIT_CHECK_SUFFIX)


def _foreign_key(fk: dict[str, Any], default_schema: str | None) -> ForeignKey:
    schema = fk.get("referred_schema")
    table = fk["referred_table"].lower()
    if schema and schema != default_schema:
        table = f"{schema.lower()}.{table}"
    options = fk.get("options") or {}
    return ForeignKey(
        columns=tuple(c.lower() for c in fk["constrained_columns"]),
        ref_table=table,
        ref_columns=tuple(c.lower() for c in fk["referred_columns"]),
        on_delete=" ".join((options.get("ondelete") or "NO ACTION").upper().split()),
        on_update=" ".join((options.get("onupdate") or "NO ACTION").upper().split()),
        name=fk.get("name"),
    )


def _index(info: dict[str, Any], dialect: str) -> Index:
    expressions = info.get("expressions") or []
    sorting = info.get("column_sorting") or {}
    columns = []
    for position, column in enumerate(info["column_names"]):
        text = column if column is not None else expressions[position]
        descending = "desc" in sorting.get(text, ())
        if column is not None:
            columns.append(index_entry(column.lower(), descending))
        else:
            columns.append(index_entry(canonical_sql(expressions[position], dialect),
                                       descending))
    options = info.get("dialect_options") or {}
    where = next((v for k, v in options.items() if k.endswith("_where") and v is not None), None)
    return Index(tuple(columns), unique=bool(info["unique"]),
                 where=canonical_sql(str(where), dialect) if where is not None else None,
                 name=info.get("name"))

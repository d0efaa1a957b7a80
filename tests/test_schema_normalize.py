"""Normalization: every spelling a producer meets maps to one value, and only that one.

The pairs here are what Postgres and SQLite really hand back (copied from reflection)
against what people write; each was a false alarm in drift checkers before.
"""

from __future__ import annotations

import enum

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlglot import exp

from pytest_dualwrite.schema.diff import diff
from pytest_dualwrite.schema.fragments import canonical_default, canonical_sql
from pytest_dualwrite.schema.from_database import from_database
from pytest_dualwrite.schema.from_models import from_models
from pytest_dualwrite.schema.from_sql import from_sql_text
from pytest_dualwrite.schema.model import ColumnType
from pytest_dualwrite.schema.types import from_sqlalchemy, from_sqlglot, from_type_text

STRING = ColumnType("string")
BOOL = ColumnType("boolean")
INT = ColumnType("integer", length=4)
JSONB = ColumnType("json", variant="jsonb")
TSTZ = ColumnType("timestamp", timezone=True)


# --- defaults ---------------------------------------------------------------------------

@pytest.mark.parametrize(("reflected", "written", "coltype"), [
    ("'x'::character varying", "'x'", STRING),
    ("''::text", "''", STRING),
    ("'[]'::jsonb", "'[]'::jsonb", JSONB),
    ("'{\"a\": 1}'::jsonb", "'{\"a\":1}'", JSONB),
    ("now()", "CURRENT_TIMESTAMP", TSTZ),
    ("CURRENT_TIMESTAMP", "transaction_timestamp()", TSTZ),
    ("false", "'f'", BOOL),
    ("false", "0", BOOL),
    ("true", "'1'", BOOL),
    ("0", "'0'", INT),
    ("'-1'::integer", "-1", INT),
    ("'todo'::task_status", "'todo'", ColumnType("enum", variant="task_status")),
    ("gen_random_uuid()", "(gen_random_uuid())", ColumnType("uuid")),
])
def test_postgres_default_quirks(reflected: str, written: str, coltype: ColumnType) -> None:
    assert canonical_default(reflected, "postgres", coltype) == canonical_default(
        written, "postgres", coltype)


def test_func_now_in_models_is_current_timestamp_everywhere() -> None:
    """`func.now()` compiles to `now()` on Postgres and `CURRENT_TIMESTAMP` on SQLite."""
    table = sa.Table("t", sa.MetaData(), sa.Column(
        "at", sa.DateTime(timezone=True), server_default=sa.func.now()))
    on_pg = from_models(table.metadata).table("t").column("at").default
    on_sqlite = from_models(table.metadata, dialect="sqlite").table("t").column("at").default
    assert on_pg == on_sqlite == canonical_default("now()", "postgres", TSTZ) == "CURRENT_TIMESTAMP"


def test_null_default_is_no_default() -> None:
    assert canonical_default("NULL", "postgres", STRING) is None
    assert canonical_default("NULL::character varying", "postgres", STRING) is None


# --- checks, WHERE clauses, index expressions --------------------------------------------

@pytest.mark.parametrize(("reflected", "written"), [
    ("((role)::text = ANY ((ARRAY['user'::character varying, 'tool'::character varying])::text[]))",
     "role IN ('user', 'tool')"),
    ("role::text = ANY (ARRAY['user'::character varying, 'tool'::character varying]::text[])",
     "role IN ('tool', 'user')"),
    ("(status <> ALL (ARRAY['a'::text, 'b'::text]))", "status NOT IN ('a', 'b')"),
    ("((priority >= 0) AND (priority <= 5))", "priority BETWEEN 0 AND 5"),
    ("length(nick::text) >= 1 AND length(nick::text) <= 20", "length(nick) BETWEEN 1 AND 20"),
    ("(((a > 0)))", "a > 0"),
    ("(tool_calls IS NOT NULL)", "NOT tool_calls IS NULL"),
    ("lower((email)::text)", "LOWER(email)"),
    ("(archived = false)", "archived = FALSE"),
    ('"Role" = \'x\'', "messages.role = 'x'"),
    ("(created_at > '2024-01-01 00:00:00+00'::timestamp with time zone)",
     "created_at > '2024-01-01'"),
])
def test_postgres_check_and_where_quirks(reflected: str, written: str) -> None:
    assert canonical_sql(reflected, "postgres") == canonical_sql(written, "postgres")


@pytest.mark.parametrize(("one", "other"), [
    ("(a OR b) AND c", "a OR (b AND c)"),
    ("a - (b - c)", "a - b - c"),
    ("NOT (a AND b)", "NOT a AND b"),
    ("role IN ('user')", "role IN ('user', 'tool')"),
    ("a > 0", "a >= 0"),
])
def test_normalization_keeps_what_matters(one: str, other: str) -> None:
    assert canonical_sql(one, "postgres") != canonical_sql(other, "postgres")


def test_sqlite_and_postgres_readings_agree() -> None:
    text = "length(nick) BETWEEN 1 AND 20 AND tool_calls IS NOT NULL"
    assert canonical_sql(text, "sqlite") == canonical_sql(text, "postgres") == (
        "LENGTH(nick) >= 1 AND LENGTH(nick) <= 20 AND tool_calls IS NOT NULL")


def test_unreadable_fragment_is_kept_with_whitespace_folded() -> None:
    assert canonical_sql("a >>>=  (", "postgres") == "a >>>= ("


# --- types ------------------------------------------------------------------------------

def _dt(text: str) -> ColumnType:
    return from_sqlglot(exp.DataType.build(text, dialect="postgres", udt=True))


@pytest.mark.parametrize(("spellings", "expected"), [
    (["character varying(40)", "VARCHAR(40)", sa.String(40), sa.VARCHAR(40)],
     ColumnType("string", length=40)),
    (["text", "varchar", sa.Text(), sa.String(), sa.Unicode()], ColumnType("string")),
    (["timestamptz", "timestamp with time zone", sa.DateTime(timezone=True),
      postgresql.TIMESTAMP(timezone=True)], TSTZ),
    (["timestamp", "timestamp without time zone", sa.DateTime(), sqlite.DATETIME()],
     ColumnType("timestamp", timezone=False)),
    (["uuid", sa.Uuid(), postgresql.UUID()], ColumnType("uuid")),
    (["jsonb", postgresql.JSONB()], JSONB),
    (["json", postgresql.JSON()], ColumnType("json", variant="json")),
    (["int", "integer", "int4", "serial", sa.Integer()], INT),
    (["bigint", "int8", "bigserial", sa.BigInteger()], ColumnType("integer", length=8)),
    (["numeric(10)", "numeric(10, 0)", sa.Numeric(10)],
     ColumnType("numeric", precision=10, scale=0)),
    (["double precision", "float8", "float", sa.Float(), sa.Double()],
     ColumnType("float", length=8)),
    (["real", "float4", sa.REAL()], ColumnType("float", length=4)),
    (["text[]", sa.ARRAY(sa.Text()), postgresql.ARRAY(sa.Text())],
     ColumnType("array", variant="text")),
    (["bytea", sa.LargeBinary()], ColumnType("binary")),
    (["char(2)", sa.CHAR(2)], ColumnType("string", length=2, variant="char")),
])
def test_type_spellings(spellings: list, expected: ColumnType) -> None:
    for spelling in spellings:
        got = _dt(spelling) if isinstance(spelling, str) else from_sqlalchemy(spelling)
        assert got == expected, spelling


def test_enum_types() -> None:
    pg_enum = postgresql.ENUM("todo", "done", name="Status")
    assert from_sqlalchemy(pg_enum) == ColumnType("enum", variant="status", values=("todo", "done"))
    assert from_sqlalchemy(sa.Enum("a", "bb", name="x", native_enum=False)) == ColumnType(
        "string", length=2)
    known = {"status": ("todo", "done")}
    udt = exp.DataType.build("public.status", dialect="postgres", udt=True)
    assert from_sqlglot(udt, known) == from_sqlalchemy(pg_enum)
    assert from_sqlglot(udt) == ColumnType("unknown", variant="status")


def test_variants_and_decorators_resolve_per_dialect() -> None:
    class Money(sa.types.TypeDecorator):
        impl = sa.Numeric(12, 2)
        cache_ok = True

    flexible = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
    assert from_sqlalchemy(flexible, "postgres") == JSONB
    assert from_sqlalchemy(flexible, "sqlite") == ColumnType("json")  # generic: variant open
    assert from_sqlalchemy(Money(), "postgres") == ColumnType("numeric", precision=12, scale=2)


@pytest.mark.parametrize(("declared", "family"), [
    ("TIMESTAMPTZ", "timestamp"), ("UUID", "uuid"), ("DATETIME", "timestamp"),
    ("CHAR(32)", "string"), ("JSONB", "json"), ("TEXT(255)", "string"), ("", "unknown"),
    ("NUMERIC(10, 2)", "numeric"), ("BOOLEAN", "boolean"), ("weird stuff(", "unknown"),
])
def test_sqlite_declared_type_text(declared: str, family: str) -> None:
    """SQLite keeps what the DDL said; read it as Postgres would, whatever the affinity."""
    assert from_type_text(declared, "sqlite").family == family


# --- comparisons that must not cry wolf ----------------------------------------------------

def test_serial_is_integer_autoincrement() -> None:
    static = from_sql_text("CREATE TABLE t (id SERIAL PRIMARY KEY, n BIGSERIAL)", "postgres")
    table = sa.Table("t", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("n", sa.BigInteger, sa.Identity(), nullable=False))
    assert diff(from_models(table.metadata), static) == []
    plain = from_sql_text("CREATE TABLE t (id INTEGER PRIMARY KEY, n BIGINT NOT NULL)", "postgres")
    assert [(d.object_kind, d.object_name, d.expected, d.actual)
            for d in diff(from_models(table.metadata), plain)] == [
        ("default", "id", "autoincrement", "none"), ("default", "n", "autoincrement", "none")]


def test_generic_json_matches_json_and_jsonb_but_jsonb_is_not_json() -> None:
    table = sa.Table("t", sa.MetaData(), sa.Column("a", sa.JSON), sa.Column("b", sa.JSON))
    static = from_sql_text("CREATE TABLE t (a JSON, b JSONB)", "postgres")
    assert diff(from_models(table.metadata), static) == []
    table = sa.Table("t", sa.MetaData(), sa.Column("a", postgresql.JSONB))
    static = from_sql_text("CREATE TABLE t (a JSON)", "postgres")
    assert [(d.object_kind, d.expected, d.actual) for d in diff(from_models(table.metadata),
                                                                 static)] == [
        ("type", "jsonb", "json")]


def test_unique_constraint_and_unique_index_are_one_rule() -> None:
    as_constraint = from_sql_text("CREATE TABLE t (a INT, b INT, UNIQUE (a, b))", "postgres")
    as_index = from_sql_text(
        "CREATE TABLE t (a INT, b INT); CREATE UNIQUE INDEX anything ON t (b, a)", "postgres")
    assert diff(as_constraint, as_index) == []
    partial = from_sql_text("CREATE TABLE t (a INT, b INT); "
                            "CREATE UNIQUE INDEX p ON t (a, b) WHERE a > 0", "postgres")
    found = [(d.object_kind, d.expected, d.actual) for d in diff(as_constraint, partial)]
    assert found == [("unique", "present", "absent"),
                     ("index", "absent", "unique index WHERE a > 0")]


def test_index_names_are_never_compared() -> None:
    one = from_sql_text("CREATE TABLE t (a INT); CREATE INDEX one ON t (a)", "postgres")
    other = from_sql_text("CREATE TABLE t (a INT); CREATE INDEX ON t (a)", "postgres")
    assert diff(one, other) == []


@pytest.mark.postgres
def test_postgres_reflection_quirks_do_not_show(pg_engine: sa.Engine) -> None:
    sql = """
    CREATE TYPE mood AS ENUM ('ok', 'meh');
    CREATE TABLE quirks (
        id SERIAL PRIMARY KEY,
        big BIGINT GENERATED BY DEFAULT AS IDENTITY,
        label VARCHAR(10) NOT NULL DEFAULT 'x',
        ratio REAL DEFAULT '1.5',
        price NUMERIC(10) DEFAULT -1,
        tags TEXT[] DEFAULT '{}',
        doc JSON DEFAULT '{"a":1}',
        mood mood NOT NULL DEFAULT 'ok',
        seen TIMESTAMP WITH TIME ZONE DEFAULT transaction_timestamp(),
        CHECK (label NOT IN ('bad', 'worse') AND (ratio BETWEEN 0 AND 2 OR ratio IS NULL))
    );
    CREATE INDEX quirks_lower ON quirks (lower(label)) WHERE (mood = 'ok' AND seen > '2024-01-01');
    """
    with pg_engine.begin() as conn:
        conn.exec_driver_sql(sql)
    static, live = from_sql_text(sql, "postgres"), from_database(pg_engine)
    assert diff(static, live) == []
    assert static == live
    assert live.enums == (("mood", ("ok", "meh")),)


class _Color(enum.Enum):
    red = 1
    green = 2


class _Money(sa.types.TypeDecorator):
    impl = sa.Numeric(12, 2)
    cache_ok = True


def test_unusual_model_columns_round_trip(any_engine: sa.Engine) -> None:
    """Identity, type-bound checks, enums, computed and decorated columns: no false alarm.

    A Boolean's CHECK exists on SQLite only; a native enum is a type on Postgres and
    VARCHAR on SQLite; an Identity() BIGINT key numbers itself on Postgres only.
    """
    metadata = sa.MetaData()
    sa.Table(
        "odd", metadata,
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("flag", sa.Boolean(create_constraint=True, name="ck_flag"), nullable=False,
                  server_default=sa.true()),
        sa.Column("color", sa.Enum(_Color, native_enum=False, create_constraint=True,
                                   name="color"), nullable=False),
        sa.Column("mood", sa.Enum(_Color, name="mood")),
        sa.Column("total", sa.BigInteger, sa.Computed("id + 1", persisted=True)),
        sa.Column("fetched", sa.Integer, server_default=sa.FetchedValue()),
        sa.Column("money", _Money()),
        sa.Column("tags", postgresql.ARRAY(sa.String(20)).with_variant(sa.JSON(), "sqlite")),
        sa.Column("parent_id", sa.BigInteger,
                  sa.ForeignKey("odd.id", ondelete="set null", onupdate="cascade")),
        sa.UniqueConstraint("color", "mood"),
        sa.Index("ix_multi", "color", sa.text("lower(color)")),
    )
    metadata.create_all(any_engine)
    live = from_database(any_engine)
    models = from_models(metadata, dialect=live.source)
    assert diff(models, live) == []
    on_pg = live.source == "postgres"
    assert live.table("odd").column("id").autoincrement is on_pg
    assert bool(live.table("odd").checks) is True  # the enum's CHECK, everywhere
    assert live.enums == ((("mood", ("red", "green")),) if on_pg else ())


def test_reflection_leaves_out_the_plugins_own_table(any_engine: sa.Engine) -> None:
    with any_engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE dualwrite_schema_version (version TEXT)")
        conn.exec_driver_sql("CREATE TABLE kept (id INTEGER PRIMARY KEY)")
    assert from_database(any_engine).table_names == ("kept",)

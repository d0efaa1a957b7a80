"""SQLite reflection: what it can tell, and how it says what it cannot.

SQLite stores whatever type text the DDL had and enforces affinity, not types; the
Inspector reads unknown spellings as NUMERIC. The comparison must neither cry wolf over
that nor go quiet about a difference SQLite does keep (a VARCHAR length, a type class).
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from pytest_dualwrite.schema.diff import diff, skipped
from pytest_dualwrite.schema.from_database import from_database
from pytest_dualwrite.schema.from_models import from_models

from .test_dialects import as_runner, migrate

PG_SPELLED = """
CREATE TABLE events (
    id UUID PRIMARY KEY NOT NULL,
    at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    email TEXT(255) NOT NULL,
    doc JSONB NOT NULL DEFAULT '{}',
    seq INTEGER NOT NULL DEFAULT '0',
    done BOOLEAN NOT NULL DEFAULT 0
)"""


def _models() -> sa.MetaData:
    metadata = sa.MetaData()
    sa.Table("events", metadata,
             sa.Column("id", sa.Uuid, primary_key=True),
             sa.Column("at", sa.DateTime(timezone=True), nullable=False,
                       server_default=sa.func.now()),
             sa.Column("email", sa.String(255), nullable=False),
             sa.Column("doc", sa.JSON, nullable=False, server_default="{}"),
             sa.Column("seq", sa.Integer, nullable=False, server_default=sa.text("0")),
             sa.Column("done", sa.Boolean, nullable=False, server_default=sa.false()))
    return metadata


def test_postgres_spellings_kept_by_sqlite_match_the_models(sqlite_engine: sa.Engine) -> None:
    with sqlite_engine.begin() as conn:
        conn.exec_driver_sql(PG_SPELLED)
    inspector_says = {c["name"]: type(c["type"]).__name__
                      for c in sa.inspect(sqlite_engine).get_columns("events")}
    assert inspector_says["at"] == "NUMERIC"  # affinity: why the declared text is read instead
    live = from_database(sqlite_engine)
    assert live.table("events").column("at").type.describe() == "timestamp with time zone"
    assert diff(from_models(_models(), dialect="sqlite"), live) == []


def test_what_sqlite_keeps_is_still_compared(sqlite_engine: sa.Engine) -> None:
    with sqlite_engine.begin() as conn:
        conn.exec_driver_sql(PG_SPELLED)
    models = _models()
    models.tables["events"].c.email.type = sa.String(100)
    models.tables["events"].c.seq.type = sa.Text()
    found = diff(from_models(models, dialect="sqlite"), from_database(sqlite_engine))
    assert [(d.object_kind, d.object_name, d.expected, d.actual) for d in found] == [
        ("type", "email", "varchar(100)", "varchar(255)"),
        ("type", "seq", "text", "integer"),  # once: its default '0' vs 0 is no news
    ]
    assert all(d.note.startswith("compared by storage class") for d in found)


def test_unreadable_ddl_turns_checks_off_and_says_so(sqlite_engine: sa.Engine) -> None:
    """`ON CONFLICT` is SQLite-only syntax sqlglot does not read: no checks, not wrong ones."""
    with sqlite_engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (a INT NOT NULL ON CONFLICT REPLACE, "
                             "b INT CHECK (b > 0))")
        conn.exec_driver_sql("CREATE INDEX t_a ON t (a) WHERE a > 1")
    live = from_database(sqlite_engine)
    assert live.has_checks is False
    assert live.notes[0].startswith("not folded: sqlite_master[t]:1: CREATE TABLE t")
    assert [(i.columns, i.where) for i in live.table("t").indexes] == [(("a",), "a > 1")]
    metadata = sa.MetaData()
    sa.Table("t", metadata, sa.Column("a", sa.Integer, nullable=False),
             sa.Column("b", sa.Integer, sa.CheckConstraint("b > 99")),
             sa.Index("t_a", "a", sqlite_where=sa.text("a > 1")))
    models = from_models(metadata, dialect="sqlite")
    assert diff(models, live) == []
    assert "check constraints not compared: sqlite could not read them" in skipped(models, live)


def test_integer_primary_key_is_the_rowid_but_bigint_is_not(sqlite_engine: sa.Engine) -> None:
    metadata = sa.MetaData()
    sa.Table("a", metadata, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table("b", metadata, sa.Column("id", sa.BigInteger, primary_key=True))
    metadata.create_all(sqlite_engine)
    live = from_database(sqlite_engine)
    assert live.table("a").column("id").autoincrement
    assert not live.table("b").column("id").autoincrement
    assert diff(from_models(metadata, dialect="sqlite"), live) == []
    # On Postgres both keys are SERIAL: the same models, read for Postgres, say so.
    on_pg = from_models(metadata)
    assert [d.object_name for d in diff(on_pg, live) if d.object_kind == "default"] == ["id"]


def test_postgres_models_match_their_migrations_transpiled_to_sqlite(tmp_path: Path) -> None:
    """evidential-be: a partial index declared with `postgresql_where` only, and a
    `to_timestamp(0)` default, against the same Postgres migrations run on SQLite."""

    engine = as_runner(sa.create_engine(f"sqlite:///{tmp_path / 'pg.db'}"))
    migrate(engine, [
        "CREATE TABLE draws (id INT PRIMARY KEY, arm_id INT, outcome INT, "
        "seen timestamptz NOT NULL DEFAULT to_timestamp(0));",
        "CREATE INDEX draws_arm ON draws (arm_id) WHERE outcome IS NOT NULL;",
    ])
    metadata = sa.MetaData()
    sa.Table("draws", metadata, sa.Column("id", sa.Integer, primary_key=True,
                                          autoincrement=False),
             sa.Column("arm_id", sa.Integer), sa.Column("outcome", sa.Integer),
             sa.Column("seen", sa.DateTime(timezone=True), nullable=False,
                       server_default=sa.func.to_timestamp(0)),
             sa.Index("draws_arm", "arm_id", postgresql_where=sa.text("outcome IS NOT NULL")))
    assert diff(from_models(metadata, dialect="sqlite"), from_database(engine)) == []

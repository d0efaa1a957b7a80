"""What the plugin must never do to a user's server, and names it must never paste into SQL.

The database named in the URL is only connected to: a role that may create databases but
cannot write one byte to the URL's database runs a whole project (migration checks, a
spec, a `dualwrite_db` test), and that database is the same afterwards. Identifiers from
the user (table and column names with colons, spaces, semicolons, quotes, reserved words;
a sequence name a `:name` bind would swallow) reach the database quoted, on both backends.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from .conftest import copy_example, every_backend, postgres_url

USES_DB = """
import sqlalchemy as sa


def test_a_database_of_its_own(dualwrite_db):
    dualwrite_db.migrate_to(2)
    with dualwrite_db.engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO catalog_items (item_sku, title, price_cents) "
                             "VALUES ('a', 'b', 1)")
    assert {"catalog_items", "products"} <= set(sa.inspect(dualwrite_db.engine).get_table_names())
"""


@dataclass
class ReadOnly:
    """A role that may create databases but not write to `database`, and its URL there."""

    role: str
    database: str
    url: str


def _engine(url: str | sa.URL, **kwargs: object) -> sa.Engine:
    url = sa.make_url(url)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return sa.create_engine(url, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def read_only() -> Iterator[ReadOnly]:
    """A scratch database holding a sentinel table, and a LOGIN CREATEDB role granted only
    CONNECT there; both, and any database the role still owns, are dropped afterwards."""
    url = postgres_url()
    if not url:
        pytest.skip("postgres: DUALWRITE_POSTGRES_URL is not set")
    token = uuid.uuid4().hex[:10]
    role, database = f"dualwrite_ro_{token}", f"dwsafety_{token}"
    admin = _engine(url, isolation_level="AUTOCOMMIT")
    scratch = _engine(sa.make_url(url).set(database=database), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE ROLE "{role}" LOGIN CREATEDB')
            conn.exec_driver_sql(f'CREATE DATABASE "{database}"')
            conn.exec_driver_sql(f'REVOKE ALL ON DATABASE "{database}" FROM PUBLIC')
            conn.exec_driver_sql(f'GRANT CONNECT ON DATABASE "{database}" TO "{role}"')
        with scratch.connect() as conn:
            conn.exec_driver_sql("REVOKE ALL ON SCHEMA public FROM PUBLIC")
            conn.exec_driver_sql(f'GRANT USAGE ON SCHEMA public TO "{role}"')  # sees, no more
            conn.exec_driver_sql("CREATE TABLE sentinel (id INTEGER PRIMARY KEY, note TEXT)")
            conn.exec_driver_sql("INSERT INTO sentinel VALUES (1, 'keep me')")
        as_role = sa.make_url(url).set(username=role, password=None, database=database)
        yield ReadOnly(role, database, as_role.render_as_string(hide_password=False))
    finally:
        scratch.dispose()
        with admin.connect() as conn:
            owned = conn.execute(sa.text(
                "SELECT datname FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba "
                "WHERE r.rolname = :role"), {"role": role}).scalars().all()
            for name in [*owned, database]:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.exec_driver_sql(f'DROP ROLE IF EXISTS "{role}"')
        admin.dispose()


def snapshot(url: str, database: str) -> dict[str, object]:
    """Everything in `database` a write could change: objects, sentinel rows, its owner."""
    engine = _engine(sa.make_url(url).set(database=database))
    try:
        with engine.connect() as conn:
            objects = conn.exec_driver_sql(
                "SELECT n.nspname, c.relname, c.relkind FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') "
                "AND NOT starts_with(n.nspname, 'pg_toast') "
                "AND NOT starts_with(n.nspname, 'pg_temp') "
                "ORDER BY 1, 2").all()
            return {
                "objects": [tuple(r) for r in objects],
                "schemas": conn.exec_driver_sql(
                    "SELECT nspname FROM pg_namespace ORDER BY 1").scalars().all(),
                "sentinel": [tuple(r) for r in conn.exec_driver_sql(
                    "SELECT id, note FROM sentinel ORDER BY id").all()],
                "owner": conn.exec_driver_sql(
                    "SELECT pg_get_userbyid(datdba) FROM pg_database "
                    "WHERE datname = current_database()").scalar(),
            }
    finally:
        engine.dispose()


def test_a_role_that_cannot_write_the_url_database_runs_a_whole_project(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, read_only: ReadOnly
) -> None:
    # The role really cannot write there: otherwise a pass below would prove nothing.
    engine = _engine(read_only.url)
    try:
        for statement in ("CREATE TABLE mine (id INTEGER)", "CREATE TEMP TABLE mine (id INT)",
                          "INSERT INTO sentinel VALUES (2, 'no')", "CREATE SCHEMA mine"):
            with engine.connect() as conn, pytest.raises(sa.exc.ProgrammingError,
                                                         match="permission denied"):
                conn.exec_driver_sql(statement)
    finally:
        engine.dispose()
    superuser = postgres_url() or ""
    before = snapshot(superuser, read_only.database)

    monkeypatch.setenv("DUALWRITE_POSTGRES_URL", read_only.url)
    monkeypatch.delenv("DW_BUG", raising=False)
    copy_example(pytester, "products")
    pytester.makepyfile(test_uses_db=USES_DB)
    result = pytester.runpytest_subprocess(
        "--dualwrite", "--dualwrite-backend=postgres", "--dualwrite-examples=5",
        "-p", "no:cacheprovider", "-p", "no:randomly", timeout=300)
    # 3 migration checks, 7 spec items, the dualwrite_db test.
    result.assert_outcomes(passed=11)
    result.stdout.fnmatch_lines([f"  postgres: url from env: *{read_only.role}@*/"
                                 f"{read_only.database}"])

    assert snapshot(superuser, read_only.database) == before
    assert before["sentinel"] == [(1, "keep me")]
    engine = _engine(superuser)
    try:
        with engine.connect() as conn:
            owned = conn.execute(sa.text(
                "SELECT datname FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba "
                "WHERE r.rolname = :role"), {"role": read_only.role}).scalars().all()
    finally:
        engine.dispose()
    assert owned == []  # every database the run created is dropped


# --- identifiers ---------------------------------------------------------------------------

AWKWARD_MIGRATIONS = {
    "001_create_old.sql": '''CREATE TABLE "order:items" (
    "user"        INTEGER PRIMARY KEY,
    "select"      VARCHAR(40) NOT NULL,
    "say ""hi"""  TEXT
);
''',
    # SERIAL: on Postgres a sequence `new:things_row :id_seq`, which the plugin reads and
    # sets back between examples (a ` :id_seq` in text() would be a bind parameter).
    "002_create_new.sql": '''CREATE TABLE "new:things" (
    "row :id"       SERIAL PRIMARY KEY,
    "from"          INTEGER NOT NULL UNIQUE,
    "where"         VARCHAR(40) NOT NULL,
    "drop; table"   TEXT
);
''',
}

AWKWARD_APP = '''
import sqlalchemy as sa

from pytest_dualwrite import DualWrite

OLD = sa.table("order:items", sa.column("user"), sa.column("select"), sa.column(HI))
NEW = sa.table("new:things", sa.column("from"), sa.column("where"), sa.column("drop; table"))
RENAMED = {"select": "where", HI: "drop; table"}


def _new_row(row):
    return {"from": row["user"], **{RENAMED[k]: row[k] for k in RENAMED}}


def write(conn, row):
    conn.execute(sa.insert(OLD).values(**row))
    conn.execute(sa.insert(NEW).values(**_new_row(row)))


def update(conn, key, changes):
    conn.execute(sa.update(OLD).where(OLD.c.user == key).values(**changes))
    conn.execute(sa.update(NEW).where(NEW.c["from"] == key)
                 .values(**{RENAMED[k]: v for k, v in changes.items()}))


def delete(conn, key):
    conn.execute(sa.delete(OLD).where(OLD.c.user == key))
    conn.execute(sa.delete(NEW).where(NEW.c["from"] == key))


def backfill(conn):
    """One row a batch, each read afresh: a row deleted meanwhile is not copied."""
    for key in conn.execute(sa.select(OLD.c.user).order_by(OLD.c.user)).scalars().all():
        row = conn.execute(sa.select(OLD).where(OLD.c.user == key)).mappings().first()
        copied = conn.execute(sa.select(NEW.c["from"]).where(NEW.c["from"] == key)).first()
        if row is not None and copied is None:
            conn.execute(sa.insert(NEW).values(**_new_row(row)))
        yield


def read(conn, key):
    row = conn.execute(sa.select(NEW).where(NEW.c["from"] == key)).mappings().first()
    if row is None:
        old = conn.execute(sa.select(OLD).where(OLD.c.user == key)).mappings().first()
        return dict(old) if old is not None else None
    return {"user": row["from"], **{k: row[v] for k, v in RENAMED.items()}}


awkward = DualWrite(old="order:items", new="new:things", key={"user": "from"},
                    columns=RENAMED, expand=2, write=write, update=update, delete=delete,
                    backfill=backfill, read=read)
'''


def awkward_project(pytester: pytest.Pytester, hi: str) -> pytest.Pytester:
    """A project whose every table and column name needs quoting; `hi` names one column."""
    quoted = '"' + hi.replace('"', '""') + '"'
    folder = pytester.mkdir("migrations")
    for name, sql in AWKWARD_MIGRATIONS.items():
        (folder / name).write_text(sql.replace('"say ""hi"""', quoted))
    pytester.makepyprojecttoml('[tool.pytest.ini_options]\ndualwrite_migrations = '
                               '"migrations"\ndualwrite_dialect = "postgres"\n')
    pytester.makepyfile(test_awkward=f"HI = {hi!r}\n" + AWKWARD_APP)
    return pytester


def test_awkward_identifiers_reach_the_database_quoted(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    backends = every_backend(monkeypatch)
    awkward_project(pytester, 'say "hi"')
    result = pytester.runpytest_subprocess(
        "--dualwrite", f"--dualwrite-backend={','.join(backends)}", "--dualwrite-examples=10",
        "-p", "no:cacheprovider", "-p", "no:randomly", timeout=300)
    # 3 migration checks and 6 spec items (no contract) per backend.
    result.assert_outcomes(passed=9 * len(backends))


def _backends(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    url = postgres_url()
    if url:
        monkeypatch.setenv("DUALWRITE_POSTGRES_URL", url)
    return ["sqlite", "postgres"] if url else ["sqlite"]


def test_mixed_case_identifiers_keep_their_case(pytester: pytest.Pytester,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A quoted "Mixed Case" column is generated, inserted, handed to the user's code and
    compared under its own name (issue 13 item 5)."""
    backends = _backends(monkeypatch)
    awkward_project(pytester, "Mixed Case")
    result = pytester.runpytest_subprocess(
        "--dualwrite", f"--dualwrite-backend={','.join(backends)}", "--dualwrite-examples=10",
        "-p", "no:cacheprovider", "-p", "no:randomly", timeout=300)
    result.assert_outcomes(passed=9 * len(backends))

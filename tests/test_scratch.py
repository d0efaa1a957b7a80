"""The migration checks on Postgres run in a rolled-back transaction on one scratch
database (backends/scratch.py), except for histories that need their own commits
(migrations/transactional.py); Alembic ups run through one env.py call."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from pytest_dualwrite import checks
from pytest_dualwrite.errors import MigrationError
from pytest_dualwrite.migrations.discovery import discover
from pytest_dualwrite.migrations.transactional import needs_own_commits
from pytest_dualwrite.session import Session
from pytest_dualwrite.settings import resolve

from .conftest import need_postgres

PLAIN = {
    "001_accounts.sql": "CREATE TABLE accounts (id BIGSERIAL PRIMARY KEY, name TEXT);\n",
    "002_email.sql": "ALTER TABLE accounts ADD COLUMN email VARCHAR(120);\n"
                     "CREATE INDEX ix_email ON accounts (email);\n",
}
# Inside one transaction Postgres refuses the new label: "unsafe use of new value".
ENUM_LABEL_USED = {
    "001_mood.sql": "CREATE TYPE mood AS ENUM ('sad');\n",
    "002_happy.sql": "ALTER TYPE mood ADD VALUE 'happy';\n",
    "003_people.sql": "CREATE TABLE people (id INT PRIMARY KEY, m mood DEFAULT 'happy');\n"
                      "INSERT INTO people VALUES (1, 'happy');\n",
}


def _write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


@pytest.fixture
def session_for(tmp_path: Path) -> Iterator[object]:
    sessions: list[Session] = []

    def make(folder: Path, models: str | None = None) -> Session:
        ini = {"dualwrite_migrations": str(folder), "dualwrite_dialect": "postgres",
               "dualwrite_backends": "postgres"}
        if models:
            ini["dualwrite_models"] = models
        session = Session(resolve({}, {"DUALWRITE_POSTGRES_URL": need_postgres()}, ini),
                          tmp_path)
        sessions.append(session)
        return session

    yield make
    for session in sessions:
        session.close()


def test_words_that_need_a_commit_are_found_with_their_file(tmp_path: Path) -> None:
    assert needs_own_commits(discover(_write(tmp_path / "plain", PLAIN))) is None
    found = needs_own_commits(discover(_write(tmp_path / "enum", ENUM_LABEL_USED)))
    assert found is not None and found.endswith("002_happy.sql: ADD VALUE")
    for sql, words in [("CREATE INDEX CONCURRENTLY ix ON t (a);", "CONCURRENTLY"),
                       ("ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (a) REFERENCES u "
                        "DEFERRABLE INITIALLY DEFERRED;", "DEFERR"),
                       ("VACUUM t;", "VACUUM")]:
        folder = _write(tmp_path / words.lower(), {"001_t.sql": sql + "\n"})
        assert needs_own_commits(discover(folder)) == f"{folder / '001_t.sql'}: {words}"


def test_checks_share_one_scratch_database_and_leave_it_empty(
        session_for: object, tmp_path: Path) -> None:
    (tmp_path / "scratch_models.py").write_text(textwrap.dedent("""\
        import sqlalchemy as sa
        metadata = sa.MetaData()
        sa.Table("accounts", metadata,
                 sa.Column("id", sa.BigInteger, primary_key=True),
                 sa.Column("name", sa.Text),
                 sa.Column("email", sa.String(120), index=True))
        """))
    import sys

    sys.path.insert(0, str(tmp_path))
    try:
        session = session_for(_write(tmp_path / "m", PLAIN), "scratch_models:metadata")
        backend = session.backend("postgres")
        for _ in range(2):  # a second run fails if the first left a table behind
            checks.upgrade_from_empty(session, backend)
            checks.models_match_migrations(session, backend)
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("scratch_models", None)
    made = backend.created_names()
    assert len(made) == 1, made  # the scratch database, for all four checks
    engine = sa.create_engine(backend.url.set(database=made[0]))
    try:
        with engine.connect() as conn:
            tables = conn.exec_driver_sql(
                "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = relnamespace "
                "WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')"
            ).scalar()
        assert tables == 0
    finally:
        engine.dispose()


def test_history_using_a_new_enum_label_gets_a_database_of_its_own(
        session_for: object, tmp_path: Path) -> None:
    session = session_for(_write(tmp_path / "m", ENUM_LABEL_USED))
    backend = session.backend("postgres")
    checks.upgrade_from_empty(session, backend)  # in one transaction: "unsafe use"
    runner = session.runner("postgres")
    with pytest.raises(MigrationError, match="unsafe use of new value"):
        with backend.rolled_back() as conn, runner.rolled_back():
            runner.migrate_to_index(conn, len(runner.migrations))


def test_a_failing_step_in_the_scratch_names_its_file_and_the_next_check_runs(
        session_for: object, tmp_path: Path) -> None:
    bad = {**PLAIN, "003_oops.sql": "ALTER TABLE nowhere ADD COLUMN x INT;\n"}
    session = session_for(_write(tmp_path / "bad", bad))
    backend = session.backend("postgres")
    with pytest.raises(MigrationError, match=r"003_oops\.sql:1: postgres refused"):
        checks.upgrade_from_empty(session, backend)
    good = session_for(_write(tmp_path / "good", PLAIN))
    checks.upgrade_from_empty(good, good.backend("postgres"))


def test_something_committing_inside_discards_the_scratch(session_for: object,
                                                          tmp_path: Path) -> None:
    session = session_for(_write(tmp_path / "m", PLAIN))
    backend = session.backend("postgres")
    with backend.rolled_back() as conn:
        conn.exec_driver_sql("CREATE TABLE leftover (id INT)")
        conn.commit()
    first = backend.created_names()
    assert first == []  # dropped: its state was unknown
    with backend.rolled_back() as conn:
        assert conn.exec_driver_sql("SELECT to_regclass('leftover')").scalar() is None


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_alembic_revisions_run_in_one_env_py_call_and_a_failure_names_its_revision(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, backend: str) -> None:
    import shutil
    import sys

    from pytest_dualwrite.migrations.readers.alembic import read_alembic
    from pytest_dualwrite.migrations.runner import Runner

    from .conftest import EXAMPLES

    url = need_postgres() if backend == "postgres" else None
    root = tmp_path / "project"
    shutil.copytree(EXAMPLES / "alembic_branch", root)
    monkeypatch.syspath_prepend(str(root))
    monkeypatch.delitem(sys.modules, "models", raising=False)
    env = root / "alembic" / "env.py"
    runs = tmp_path / "env_runs.txt"
    env.write_text(env.read_text() + f"\nopen({str(runs)!r}, 'a').write('run\\n')\n")
    runner = Runner(read_alembic(root / "alembic.ini"), "postgres", backend)
    engine = (sa.create_engine(f"sqlite:///{tmp_path / 'a.db'}") if url is None else None)
    session = None
    if url is not None:
        session = Session(resolve({}, {"DUALWRITE_POSTGRES_URL": url},
                                  {"dualwrite_alembic": str(root / "alembic.ini"),
                                   "dualwrite_backends": "postgres"}), tmp_path)
        engine = session.backend("postgres").create_database().engine
    assert engine is not None
    try:
        runner.migrate_engine(engine, None)  # four revisions, a branch and its merge
        assert runs.read_text() == "run\n"  # one env.py run for the four
        notes = root / "alembic" / "versions" / "c3d2_notes.py"
        notes.write_text(notes.read_text().replace(
            "    op.create_table(", "    raise ValueError('no notes today')\n    op.create_table("))
        for name in [n for n in list(sys.modules) if "c3d2" in n]:
            del sys.modules[name]
        broken = Runner(read_alembic(root / "alembic.ini"), "postgres", backend)
        fresh = (sa.create_engine(f"sqlite:///{tmp_path / 'b.db'}") if url is None
                 else session.backend("postgres").create_database().engine)  # type: ignore[union-attr]
        with pytest.raises(MigrationError) as info:
            broken.migrate_engine(fresh, None)
        assert "c3d2_notes.py:" in str(info.value)
        assert "upgrade of c3d2cafe0003 failed: ValueError: no notes today" in str(info.value)
    finally:
        if session is not None:
            session.close()

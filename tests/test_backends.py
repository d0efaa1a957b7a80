"""Backends as plain Python: fresh databases, clones, drops, and where Postgres comes from."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from pytest_dualwrite.backends.base import Backend, Database
from pytest_dualwrite.backends.local_cluster import LocalCluster, find_server_binaries
from pytest_dualwrite.backends.postgres import PostgresBackend, parse_url
from pytest_dualwrite.backends.resolve import choose_postgres, start_postgres
from pytest_dualwrite.backends.sqlite import SqliteBackend
from pytest_dualwrite.errors import BackendError, BackendUnavailable, ConfigError

from .conftest import postgres_url


@pytest.fixture
def sqlite_backend() -> Iterator[SqliteBackend]:
    backend = SqliteBackend()
    yield backend
    backend.close()


@pytest.fixture
def pg_backend() -> Iterator[PostgresBackend]:
    url = postgres_url()
    if not url:
        pytest.skip("postgres: DUALWRITE_POSTGRES_URL is not set")
    backend = PostgresBackend(parse_url(url))
    yield backend
    backend.close()


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> Backend:
    names = {"sqlite": "sqlite_backend", "postgres": "pg_backend"}
    return request.getfixturevalue(names[request.param])


def tables(db: Database) -> list[str]:
    return sa.inspect(db.engine).get_table_names()


def build_items(db: Database) -> None:
    with db.engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE items (id INTEGER PRIMARY KEY, name VARCHAR(20))")
        conn.exec_driver_sql("INSERT INTO items VALUES (1, 'one'), (2, 'two')")


def test_fresh_databases_are_empty_and_separate(backend: Backend) -> None:
    first, second = backend.create_database(), backend.create_database()
    assert first.name != second.name
    assert first.name.startswith("dualwrite_")
    build_items(first)
    assert tables(first) == ["items"]
    assert tables(second) == []


def test_database_at_builds_once_and_clones(backend: Backend) -> None:
    built: list[str] = []

    def build(db: Database) -> None:
        built.append(db.name)
        build_items(db)

    one = backend.database_at(("v", 1), build)
    two = backend.database_at(("v", 1), build)
    assert len(built) == 1
    with one.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM items")
    with two.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM items").scalar() == 2


def test_close_drops_everything(backend: Backend) -> None:
    for _ in range(3):
        backend.create_database()
    backend.database_at("k", build_items)
    assert len(backend.created_names()) == 5  # 3 + template + clone
    backend.close()
    assert backend.created_names() == []


def test_sqlite_close_removes_files(sqlite_backend: SqliteBackend) -> None:
    build_items(sqlite_backend.create_database())
    folder = sqlite_backend.directory
    assert any(folder.iterdir())
    sqlite_backend.close()
    assert not folder.exists()


def test_postgres_drops_on_server_and_leaves_url_database_alone(
    pg_backend: PostgresBackend,
) -> None:
    admin = pg_backend.admin()
    with admin.connect() as conn:
        url_db = conn.exec_driver_sql("SELECT current_database()").scalar()
    db = pg_backend.create_database()
    assert db.name in pg_backend.list_databases()
    assert db.name != url_db
    pg_backend.close()
    fresh = PostgresBackend(pg_backend.url)
    try:
        assert db.name not in fresh.list_databases()
    finally:
        fresh.close()


def test_postgres_url_forms() -> None:
    assert parse_url("postgres://u:pw@h/db").drivername == "postgresql+psycopg"
    assert parse_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert parse_url("postgresql+psycopg2://u@h/db").drivername == "postgresql+psycopg2"
    with pytest.raises(ConfigError, match=r"is not a database URL") as err:
        parse_url("::nonsense:pw@", "DUALWRITE_POSTGRES_URL")
    assert "DUALWRITE_POSTGRES_URL" in str(err.value)
    with pytest.raises(ConfigError, match=r"not a Postgres URL \(scheme 'mysql'"):
        parse_url("mysql://root:hunter2@localhost/x")


def test_unreachable_server_is_one_line_without_password() -> None:
    backend = PostgresBackend(parse_url("postgresql://postgres:hunter2@127.0.0.1:1/postgres"))
    with pytest.raises(BackendError) as err:
        backend.create_database()
    message = str(err.value)
    assert message.startswith("postgres: cannot connect to postgresql+psycopg://postgres:***@")
    assert "hunter2" not in message
    assert "\n" not in message


def test_choice_prefers_url_then_docker_then_binaries(tmp_path: Path) -> None:
    choice = choose_postgres("postgresql://u:pw@h/db", "env", docker_answer=lambda: None)
    assert choice.kind == "url"
    assert "pw" not in choice.detail

    choice = choose_postgres(None, docker_answer=lambda: None)
    assert choice.kind == "container"

    fake = tmp_path / "bin"
    fake.mkdir()
    for tool in ("initdb", "postgres"):
        (fake / tool).write_text("")
    choice = choose_postgres(None, docker_answer=lambda: "no Docker engine answered (x)",
                             bin_search=[str(fake)])
    assert choice.kind == "local"
    assert choice.bindir == fake


def test_nothing_found_lists_what_was_tried(tmp_path: Path) -> None:
    choice = choose_postgres(None, docker_answer=lambda: "no Docker engine answered (refused)",
                             bin_search=[str(tmp_path)])
    assert choice.kind == "none"
    reason = choice.skip_reason()
    assert reason.startswith("postgres unavailable: no URL (set --dualwrite-postgres-url")
    assert "no Docker engine answered (refused)" in reason
    assert f"no Postgres server binaries (initdb, postgres) in dualwrite_postgres_bin [{tmp_path}]"\
        in reason
    with pytest.raises(BackendUnavailable, match="postgres unavailable"):
        start_postgres(choice)


def test_containers_can_be_switched_off(tmp_path: Path) -> None:
    choice = choose_postgres(None, containers=False, bin_search=[str(tmp_path)])
    assert "containers switched off" in choice.skip_reason()


def test_real_docker_check_answers_with_a_reason() -> None:
    """There is no Docker engine on this machine: the check must say so, not raise."""
    from pytest_dualwrite.backends.containers import docker_answer

    if os.path.exists("/var/run/docker.sock"):
        pytest.skip("a Docker socket exists here; this test is about its absence")
    reason = docker_answer()
    assert reason is not None and "Docker" in reason


def test_local_cluster_serves_and_leaves_nothing() -> None:
    bindir = find_server_binaries()
    if bindir is None:
        pytest.skip("no Postgres server binaries installed")
    cluster = LocalCluster.start(bindir)
    engine = sa.create_engine(cluster.url)
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SHOW fsync").scalar() == "off"
    finally:
        engine.dispose()
        cluster.stop()
    assert cluster.process.poll() is not None
    assert not cluster.root.exists()


def test_checkout_discards_every_change_including_ddl_and_sequences(backend: Backend) -> None:
    def build(db: Database) -> None:
        with db.engine.begin() as conn:
            if db.backend == "postgres":
                conn.exec_driver_sql("CREATE TABLE items (id SERIAL PRIMARY KEY, name TEXT)")
            else:
                conn.exec_driver_sql("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT)")
            conn.exec_driver_sql("INSERT INTO items (name) VALUES ('kept')")

    seen_ids = []
    for _ in range(3):
        with backend.checkout("seq", build) as conn:
            assert conn.exec_driver_sql("SELECT name FROM items").scalars().all() == ["kept"]
            with conn.begin_nested():
                new_id = conn.exec_driver_sql(
                    "INSERT INTO items (name) VALUES ('gone') RETURNING id").scalar()
            with conn.begin_nested():
                conn.exec_driver_sql("CREATE TABLE scratch (id INTEGER)")
            seen_ids.append(new_id)
    assert seen_ids == [2, 2, 2]  # sequences set back too: examples replay identically
    with backend.checkout("seq", build) as conn:
        assert "scratch" not in sa.inspect(conn).get_table_names()


def test_checkout_survives_a_failing_body(backend: Backend) -> None:
    with pytest.raises(ZeroDivisionError), backend.checkout("fail", build_items) as conn:
        conn.exec_driver_sql("DELETE FROM items")
        1 / 0  # noqa: B018
    with backend.checkout("fail", build_items) as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM items").scalar() == 2

"""Shared fixtures for the plugin's own unit tests (not the plugin's user-facing fixtures)."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

PG_URL_ENV = "DUALWRITE_POSTGRES_URL"


def postgres_url() -> str | None:
    return os.environ.get(PG_URL_ENV)


def every_backend(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The backends a pytester run can use: Postgres too when a URL is set (handed on)."""
    url = postgres_url()
    if url:
        monkeypatch.setenv(PG_URL_ENV, url)
    return ["sqlite", "postgres"] if url else ["sqlite"]


def need_postgres() -> str:
    """The Postgres URL, or skip: only when none is set (CI sets one and fails on a skip)."""
    url = postgres_url()
    if not url:
        pytest.skip(f"postgres: {PG_URL_ENV} is not set")
    return url


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[sa.Engine]:
    """A fresh SQLite file database."""
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'unit.db'}")
    yield engine
    engine.dispose()


@contextmanager
def fresh_postgres_database(prefix: str = "dualwrite_unit") -> Iterator[sa.Engine]:
    """A fresh, uniquely named Postgres database (`<prefix>_...`), dropped afterwards."""
    admin = sa.create_engine(need_postgres(), isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine = sa.create_engine(admin.url.set(database=name))
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture
def pg_engine() -> Iterator[sa.Engine]:
    """A fresh Postgres database for one test.

    Skips only when no URL is set; CI sets one and fails the run on any postgres skip.
    """
    with fresh_postgres_database() as engine:
        yield engine


@pytest.fixture(params=["sqlite", "postgres"])
def any_engine(request: pytest.FixtureRequest) -> sa.Engine:
    """Both backends, for unit tests that must hold on each."""
    name = "sqlite_engine" if request.param == "sqlite" else "pg_engine"
    return request.getfixturevalue(name)


EXAMPLES = Path(__file__).parent / "examples"
# The examples are users' projects, copied into pytester runs; collecting them here would
# import each one's modules (two `catalog.py`) into this session.
collect_ignore = ["examples"]


def copy_example(pytester: pytest.Pytester, name: str) -> pytest.Pytester:
    """Copy `tests/examples/<name>` into a pytester project, as a user's project would be."""
    source = EXAMPLES / name
    for entry in source.iterdir():
        if entry.name == "__pycache__":
            continue
        if entry.is_dir():
            shutil.copytree(entry, pytester.path / entry.name)
        else:
            shutil.copy(entry, pytester.path / entry.name)
    return pytester

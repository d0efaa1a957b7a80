"""Fixtures shared by the hand-written tests.

The `DualWrite` specs live in the test modules; pytest-dualwrite collects them with
`pytest --dualwrite`. Hand-written tests use the plugin's `dualwrite_db` fixture: a
throwaway database (on each selected backend) that `migrate_to(n)` moves to just after
migration n.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable

import pytest
import sqlalchemy as sa

_STORE = "CHARACTER_STORE_DIR"
_OWNER = "CHARACTER_STORE_PID"  # which process made the folder in _STORE
_store_key = pytest.StashKey[str]()


def pytest_configure(config):
    """The characters' store for the spec's items: a folder of this process, removed at the
    end so a run leaves nothing in the temp folder. xdist workers inherit the controller's
    environment, so each makes its own (two workers' examples must not share one store);
    a folder you set yourself (no owner) is kept."""
    inherited = os.environ.get(_OWNER) not in (None, str(os.getpid()))
    if _STORE not in os.environ or inherited:
        folder = tempfile.mkdtemp(prefix="dualwrite-example-characters-")
        os.environ[_STORE] = folder
        os.environ[_OWNER] = str(os.getpid())
        config.stash[_store_key] = folder


def pytest_unconfigure(config):
    folder = config.stash.get(_store_key, None)
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
        os.environ.pop(_STORE, None)
        os.environ.pop(_OWNER, None)



@pytest.fixture
def engine_at(dualwrite_db) -> Callable[[int], sa.Engine]:
    """`engine_at(5)`: the throwaway database, migrated to just after migration 005."""

    def at(version: int) -> sa.Engine:
        dualwrite_db.migrate_to(version)
        return dualwrite_db.engine

    return at


@pytest.fixture
def store_dir(tmp_path, monkeypatch):
    """The characters' JSON store in this test's own temporary folder."""
    monkeypatch.setenv("CHARACTER_STORE_DIR", str(tmp_path / "characters"))
    return tmp_path / "characters"

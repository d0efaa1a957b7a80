"""The fixtures users request: `dualwrite_backend`, `dualwrite_db`.

Fixtures stay thin: they fetch the run's `Session` from the config stash and hand out what
it builds. Without `--dualwrite` they skip, so nothing opens a database.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .backends.base import Backend
from .database import DualwriteDB
from .errors import BackendUnavailable, DualWriteError
from .migrations.model import Migration
from .session import Session

SESSION_KEY = pytest.StashKey[Session]()


def get_session(config: pytest.Config) -> Session | None:
    return config.stash.get(SESSION_KEY, None)


def _session_or_skip(config: pytest.Config) -> Session:
    session = get_session(config)
    if session is None:
        pytest.skip("pytest-dualwrite is off: run pytest with --dualwrite")
    return session


def backend_or_skip(session: Session, name: str) -> Backend:
    """The started backend; a skip naming what was tried when it cannot be had."""
    try:
        return session.backend(name)
    except BackendUnavailable as exc:
        skip, message = True, str(exc)
    except DualWriteError as exc:
        skip, message = False, str(exc)
    # Outside the except block, so pytest shows one line and no chained traceback.
    if skip:
        pytest.skip(message)
    pytest.fail(message, pytrace=False)


@pytest.fixture
def dualwrite_backend(request: pytest.FixtureRequest) -> Backend:
    """A selected backend (the test runs once per backend chosen for the run)."""
    session = _session_or_skip(request.config)
    name = getattr(request, "param", None) or session.backend_names[0]
    return backend_or_skip(session, name)


@pytest.fixture
def dualwrite_db(
    request: pytest.FixtureRequest, dualwrite_backend: Backend
) -> Iterator[DualwriteDB]:
    """A fresh, empty database that no other test sees; dropped after the test."""
    session = _session_or_skip(request.config)
    runner = session.runner(dualwrite_backend.name) if session.migrations_folder() else None
    db = DualwriteDB(dualwrite_backend, dualwrite_backend.create_database(), runner)
    try:
        yield db
    finally:
        db.close()


@pytest.fixture
def dualwrite_migrations(request: pytest.FixtureRequest) -> list[Migration]:
    """The migrations discovered in `dualwrite_migrations`, in the order they apply."""
    session = _session_or_skip(request.config)
    found = session.migrations_or_none()
    if found is None:
        pytest.skip("no migrations folder: set dualwrite_migrations (ini)")
    return list(found[0])

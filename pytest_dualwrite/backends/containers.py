"""A Postgres container through testcontainers, when a Docker engine answers.

testcontainers raises inside the container's constructor when no engine answers, so the
engine is asked first (a ping with a short timeout) and its absence becomes a reason.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ..errors import BackendError

IMAGE = "postgres:16-alpine"


def docker_answer() -> str | None:
    """None when a Docker engine answers; else why not, in a few words."""
    try:
        import docker  # testcontainers' own client library
    except ImportError:
        return "the docker/testcontainers packages are not installed " \
               "(pip install 'pytest-dualwrite[containers]')"
    try:
        client = docker.from_env(timeout=3)
        try:
            client.ping()
        finally:
            client.close()
    except Exception as exc:  # any failure means "no engine here"
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"no Docker engine answered ({text[:120]})"
    try:
        import testcontainers.postgres  # noqa: F401
    except ImportError:
        return "testcontainers is not installed (pip install 'pytest-dualwrite[containers]')"
    return None


class PostgresContainer:
    """A started container and its URL; `stop()` removes it."""

    def __init__(self, image: str = IMAGE) -> None:
        from testcontainers.postgres import PostgresContainer as _Container

        self._container: Any = _Container(image, driver="psycopg")
        try:
            self._container.start()
        except Exception as exc:
            raise BackendError(f"postgres container {image} did not start: "
                               f"{str(exc).strip().splitlines()[0]}") from None
        self.url = sa.make_url(self._container.get_connection_url())

    def stop(self) -> None:
        self._container.stop()

"""Choosing where Postgres comes from: URL, else container, else local cluster, else skip.

The choice is made (and explained) without starting anything; the server starts on first
use, so `-k sqlite` never pays for a Postgres start.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import BackendUnavailable
from .base import Backend
from .local_cluster import LocalCluster, candidate_folders, find_server_binaries
from .postgres import PostgresBackend, parse_url, shown


@dataclass
class PostgresChoice:
    """How Postgres will be provided this run, or why it cannot be."""

    kind: str  # "url" | "container" | "local" | "none"
    detail: str
    tried: list[str] = field(default_factory=list)
    url: str | None = None
    bindir: Path | None = None

    def skip_reason(self) -> str:
        return "postgres unavailable: " + "; ".join(self.tried)


def choose_postgres(
    url: str | None,
    url_source: str = "cli",
    *,
    containers: bool = True,
    bin_search: Sequence[str] | None = None,
    docker_answer: Callable[[], str | None] | None = None,
) -> PostgresChoice:
    tried: list[str] = []
    if url:
        where = {"cli": "--dualwrite-postgres-url", "env": "DUALWRITE_POSTGRES_URL",
                 "ini": "dualwrite_postgres_url"}.get(url_source, url_source)
        parsed = parse_url(url, where)
        return PostgresChoice("url", f"url from {url_source}: {shown(parsed)}", url=url)
    tried.append("no URL (set --dualwrite-postgres-url or DUALWRITE_POSTGRES_URL)")
    if containers:
        if docker_answer is None:
            from .containers import docker_answer as ask

            docker_answer = ask
        reason = docker_answer()
        if reason is None:
            return PostgresChoice("container", "testcontainers (Docker)", tried)
        tried.append(f"{reason} (start Docker for a container)")
    else:
        tried.append("containers switched off (dualwrite_containers = false)")
    bindir = find_server_binaries(bin_search)
    if bindir is not None:
        return PostgresChoice("local", f"local cluster from {bindir}", tried, bindir=bindir)
    places = ", ".join(str(p) for p in candidate_folders(bin_search)) or "nothing found"
    where = "dualwrite_postgres_bin" if bin_search else "PATH, pg_config --bindir, " \
        "/usr/lib/postgresql/*/bin"
    tried.append(f"no Postgres server binaries (initdb, postgres) in {where} [{places}] "
                 "(install the postgresql server package or set dualwrite_postgres_bin)")
    return PostgresChoice("none", "unavailable", tried)


class StartedPostgres(PostgresBackend):
    """A PostgresBackend that also stops the server it started (container or cluster)."""

    def __init__(self, choice: PostgresChoice) -> None:
        self._stop: Callable[[], None] | None = None
        if choice.kind == "container":
            from .containers import PostgresContainer

            container = PostgresContainer()
            url, self._stop = container.url, container.stop
        elif choice.kind == "local":
            assert choice.bindir is not None
            cluster = LocalCluster.start(choice.bindir)
            url, self._stop = cluster.url, cluster.stop
        else:
            raise ValueError(choice.kind)
        super().__init__(url, origin=choice.detail)

    def _shutdown(self) -> None:
        super()._shutdown()
        if self._stop is not None:
            stop, self._stop = self._stop, None
            stop()


def start_postgres(choice: PostgresChoice) -> Backend:
    """The backend for a choice; raises BackendUnavailable for `none`."""
    if choice.kind == "none":
        raise BackendUnavailable(choice.skip_reason())
    if choice.kind == "url":
        assert choice.url is not None
        return PostgresBackend(parse_url(choice.url), origin=choice.detail.split(":")[0])
    return StartedPostgres(choice)

"""The state of one run: the resolved settings and the backends, started on first use.

Plain Python so that a script can drive the same machinery the plugin does. Closing the
session drops every database any backend created and stops any server it started.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import hypothesis

from .backends.base import Backend, new_run_id
from .backends.cleanup import Owner, this_owner
from .backends.resolve import PostgresChoice, choose_postgres, start_postgres
from .backends.sqlite import SqliteBackend
from .dualwrite.bounds import DEFAULT_CALL_TIMEOUT, DEFAULT_MAX_BATCHES, Bounds
from .dualwrite.harness import Harness, Stats
from .dualwrite.spec import DualWrite
from .errors import BackendError, BackendUnavailable, ConfigError, DualWriteError
from .migrations.model import Migration, canonical_dialect
from .migrations.runner import Runner
from .profiles import profile_settings
from .report import Report, report_path_problem
from .secrets import remember_text
from .settings import Settings


class Session:
    def __init__(self, settings: Settings, rootdir: Path | None = None,
                 owner: Owner | None = None) -> None:
        self.settings = settings
        self.rootdir = rootdir or Path.cwd()
        remember_text(settings.postgres_url)  # never printed, whatever form it takes
        # The run every database is named and marked after: under xdist the controller's.
        self.owner = owner or this_owner(new_run_id())
        self.cleanup_problems: list[str] = []
        self.workers_used_postgres = False  # an xdist worker said so, or died
        self._versions: dict[str, str] = {}
        self._backends: dict[str, Backend] = {}
        self._failed: dict[str, DualWriteError] = {}
        self._postgres_choice: PostgresChoice | None = None
        self._migrations: list[Migration] | None = None
        self._runners: dict[str, Runner] = {}
        self._harnesses: dict[tuple[int, str], Harness] = {}
        self.last_figures: dict[str, int] = {}  # what the item that just ran did
        self.report = Report()
        self.warnings: list[str] = []
        self._described: dict[str, str] = {}
        self.bounds = Bounds(getattr(settings, "call_timeout", DEFAULT_CALL_TIMEOUT),
                             getattr(settings, "max_batches", DEFAULT_MAX_BATCHES))

    @property
    def backend_names(self) -> tuple[str, ...]:
        return tuple(self.settings.backends)

    def postgres_choice(self) -> PostgresChoice:
        if self._postgres_choice is None:
            self._postgres_choice = choose_postgres(
                self.settings.postgres_url,
                self.settings.source("postgres_url"),
                containers=self.settings.containers,
                bin_search=self.settings.postgres_bin,
            )
        return self._postgres_choice

    def configuration_problem(self, invocation_dir: Path | None = None) -> str | None:
        """A setting this run cannot work with, as one line (None when all is well)."""
        if self.settings.report:
            problem = report_path_problem(self.report_path(invocation_dir))
            if problem:
                return f"{self.settings.where('report')}: {problem}"
        if "postgres" in self.backend_names and (
                self.settings.postgres_url or self.settings.postgres_required()):
            choice = self.postgres_choice()  # a malformed URL raises ConfigError
            if choice.kind == "none" and self.settings.postgres_required():
                return (f"{self.settings.where('backends')} asks for postgres, which is not "
                        f"available: {'; '.join(choice.tried)}")
        return None

    def report_path(self, invocation_dir: Path | None = None) -> Path:
        path = Path(self.settings.report)
        return path if path.is_absolute() else (invocation_dir or Path.cwd()) / path

    def describe(self, name: str) -> str:
        """Where a backend's databases come from, before anything is started."""
        if name in self._backends:
            return self._backends[name].describe()
        if name in self._described:  # closed already: as it was (the run's role named)
            return self._described[name]
        if name == "sqlite":
            return "sqlite (embedded, temporary files)"
        choice = self.postgres_choice()
        if choice.kind == "none":
            return choice.skip_reason()
        return choice.detail + (" (started on first use)" if choice.kind != "url" else "")

    def backend(self, name: str) -> Backend:
        """The backend, started on first use; BackendUnavailable/BackendError otherwise."""
        if name in self._backends:
            return self._backends[name]
        if name in self._failed:
            raise self._failed[name]
        try:
            backend = self._start(name)
        except DualWriteError as exc:
            self._failed[name] = exc
            raise
        self._backends[name] = backend
        return backend

    def _start(self, name: str) -> Backend:
        if name == "sqlite":
            from .migrations.dialects import register_sqlite_functions

            sqlite = SqliteBackend(on_connect=register_sqlite_functions)
            sqlite.join(self.owner)
            return sqlite
        if name == "postgres":
            backend = start_postgres(self.postgres_choice())
            backend.restrict = self._restrict_role()  # type: ignore[attr-defined]
            backend.join(self.owner)
            backend.admin()  # type: ignore[attr-defined]  # connect now: fail with one line
            self._leftovers(backend)
            return backend
        raise BackendUnavailable(f"unknown backend {name!r}")

    def _restrict_role(self) -> bool:
        return bool(getattr(self.settings, "restrict_role", True))

    def privileges(self) -> str | None:
        """For the header: as whom migrations and the user's code will run on Postgres.

        Asked of the server once, here, so the line shows in the controller's header under
        xdist too; None where there is no URL to ask (a server the plugin starts is its own
        throwaway) or it cannot be reached (the items say why).
        """
        if "postgres" not in self.backend_names:
            return None
        started = self._backends.get("postgres")
        if started is not None:
            return started.describe().rpartition("; ")[2]
        choice = self.postgres_choice()
        if choice.kind != "url" or not choice.url:
            return None
        from .backends.postgres import parse_url
        from .backends.role import planned, probe

        try:
            return planned(probe(parse_url(choice.url)), self._restrict_role())
        except Exception:
            return None

    def migrations_folder(self) -> Path | None:
        """The history's path: a migrations folder, or an Alembic ini (or folder)."""
        folder = self.settings.migrations or getattr(self.settings, "alembic", None)
        if not folder:
            return None
        path = Path(folder)
        return path if path.is_absolute() else self.rootdir / path

    def migrations_or_none(self) -> tuple[list[Migration], str] | None:
        """The discovered migrations and their dialect, or None when none are configured."""
        folder = self.migrations_folder()
        if folder is None:
            return None
        if self._migrations is None and getattr(self.settings, "alembic", None):
            from .migrations.readers.alembic import read_alembic

            self._migrations = read_alembic(
                folder, base=getattr(self.settings, "alembic_base", None))
        if self._migrations is None:
            from .migrations.discovery import discover

            # Unset: each convention's own gap rule; true or false overrides it.
            gaps = None if self.settings.source("allow_gaps") == "default" \
                else self.settings.allow_gaps
            self._migrations = discover(folder, allow_gaps=gaps)
        return self._migrations, canonical_dialect(self.settings.dialect)

    # --- what the checks share across items ------------------------------------------
    def runner(self, backend_name: str) -> Runner:
        """One runner per target dialect, so statements are transpiled once per run."""
        if backend_name not in self._runners:
            found = self.migrations_or_none()
            if found is None:
                raise ConfigError("no migrations folder: set dualwrite_migrations "
                                  "(ini) or --dualwrite-migrations")
            migrations, dialect = found
            self._runners[backend_name] = Runner(migrations, dialect, backend_name)
        return self._runners[backend_name]

    def source_dialect(self) -> str:
        """The dialect the migrations are written in."""
        return canonical_dialect(self.settings.dialect)

    def harness(self, spec: DualWrite, backend: Backend) -> Harness:
        """One harness per spec and backend: its templates and schemas are reused."""
        key = (id(spec), backend.name)
        if key not in self._harnesses:
            harness = Harness(spec, backend, self.runner(backend.name))
            harness.bounds = self.bounds
            harness.validate()
            self._harnesses[key] = harness
        return self._harnesses[key]

    def hypothesis_settings(self) -> hypothesis.settings:
        """The user's current profile (or `--dualwrite-profile`'s), with our overrides: no
        deadline (databases vary), `--dualwrite-examples` as max_examples when given."""
        parent = profile_settings(self.settings.profile)
        overrides: dict[str, Any] = {
            "deadline": None,
            # The explain phase re-runs failing examples under coverage tracing: minutes on
            # a state machine, and our own failure text already tells the story.
            "phases": [p for p in parent.phases if p is not hypothesis.Phase.explain],
            "suppress_health_check": [hypothesis.HealthCheck.too_slow,
                                      hypothesis.HealthCheck.data_too_large,
                                      hypothesis.HealthCheck.filter_too_much],
        }
        if self.settings.examples:
            overrides["max_examples"] = self.settings.examples
        if self.settings.profile is None and \
                parent.stateful_step_count == hypothesis.settings.default.stateful_step_count:
            # 25 operations reach every interleaving our rules make (a backfill of ten rows
            # in batches, with writes between) at half the cost of hypothesis' 50; a
            # profile that sets its own count (ours too) keeps it.
            overrides["stateful_step_count"] = 25
        return hypothesis.settings(parent, **overrides)

    def record(self, spec: DualWrite, item: str, backend: str, stats: Stats,
               before: dict[str, int]) -> None:
        """Keep what one item did (the difference of the harness's running totals)."""
        now = stats.__dict__
        self.last_figures = {k: now[k] - before.get(k, 0) for k in now}

    def _leftovers(self, backend: Backend) -> None:
        """Report (and with --dualwrite-drop-stale, drop) databases of runs that are over."""
        found = backend.leftovers()  # type: ignore[attr-defined]
        if found.stale and self.settings.drop_stale:
            failed = backend.drop_named(found.stale)  # type: ignore[attr-defined]
            self.warnings.append(f"dropped {len(found.stale) - len(failed)} stale dualwrite_* "
                                 "database(s) of runs whose process is gone: "
                                 f"{', '.join(found.stale)}")
            self.warnings += [f"could not drop stale {line}" for line in failed]
        elif found.stale:
            self.warnings.append(f"{len(found.stale)} stale dualwrite_* database(s) left by "
                                 f"interrupted runs (their process is gone): "
                                 f"{', '.join(found.stale)}; drop them with "
                                 "--dualwrite-drop-stale")
        if found.elsewhere:
            self.warnings.append(f"{len(found.elsewhere)} dualwrite_* database(s) of runs on "
                                 "other hosts, left alone (whether their run is over cannot "
                                 f"be checked from here): {', '.join(found.elsewhere)}")
        if found.unknown:
            self.warnings.append(f"{len(found.unknown)} dualwrite_* database(s) with no owner "
                                 "recorded (an older version or another tool), left alone: "
                                 f"{', '.join(found.unknown)}")

    def started(self, name: str) -> bool:
        return name in self._backends

    def server_versions(self) -> dict[str, str]:
        versions = dict(self._versions)
        for name, backend in self._backends.items():
            version = getattr(backend, "server_version", None)
            if name == "sqlite":
                import sqlite3

                version = sqlite3.sqlite_version
            if version:
                versions[name] = str(version)
        return versions

    def close(self) -> list[str]:
        """Close every backend; return problems as lines (never raise at teardown)."""
        problems: list[str] = []
        self._described.update({n: b.describe() for n, b in self._backends.items()})
        self._versions = self.server_versions()
        for name, backend in list(self._backends.items()):
            try:
                backend.close()
            except Exception as exc:
                problems.append(f"{name}: {exc}")
        self._backends.clear()
        self.bounds.close()
        return problems

    def finish(self, *, sweep: bool) -> list[str]:
        """Close the backends; with `sweep` (the run's main process), also drop whatever
        databases of this run are still on the server: an xdist worker's that was killed
        or interrupted before it could. The problems, as lines, are also kept in
        `cleanup_problems` for the summary."""
        problems = self.close()
        if sweep:
            problems += self._sweep()
        self.cleanup_problems += problems
        return problems

    def _sweep(self) -> list[str]:
        from .backends.postgres import PostgresBackend, parse_url

        choice = self.postgres_choice()
        if choice.kind != "url" or choice.url is None:
            return []  # a server we started ourselves is gone with its databases
        backend = PostgresBackend(parse_url(choice.url), origin="url")
        backend.join(self.owner)
        try:
            dropped, failed = backend.drop_run(self.owner.run)
        except DualWriteError as exc:
            return [f"postgres: could not check for this run's databases: {exc}"]
        except Exception as exc:
            return [f"postgres: could not check for this run's databases: {exc}"]
        finally:
            backend.close()
        if dropped:
            self.warnings.append(f"dropped {len(dropped)} database(s) of this run that a "
                                 "worker left (it was interrupted or killed): "
                                 f"{', '.join(dropped)}")
        return [f"postgres: could not drop {line}" for line in failed]


__all__ = ["BackendError", "BackendUnavailable", "Session"]

"""The SQL an Alembic history's revisions would run, from Alembic's offline mode
(`alembic upgrade head --sql`): the static side of `models_match_migrations` folds it like
SQL files, with no database.

The user's `env.py` runs once, in offline mode, with `sqlalchemy.url` set to a URL that
names only the dialect (`postgresql://`, `sqlite://`), so Alembic's template writes that
dialect's SQL; each revision's part of the output is cut at the `-- Running upgrade`
comment Alembic writes before it, and its statements name the revision file.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ...errors import MigrationError
from ..model import SqlSource, Statement
from ..splitter import collector_paused, split
from ..static import StaticSql

# The URL Alembic's offline mode is given: a dialect, no server.
OFFLINE_URLS = {"postgres": "postgresql://", "sqlite": "sqlite://", "mysql": "mysql://"}
_RUNNING = re.compile(r"^-- Running upgrade .*$", re.M)


class AlembicOffline:
    """A `StaticSource`: the revisions' offline SQL, in the dialect asked for."""

    def __init__(
        self, path: Path, script: Any, revisions: Sequence[Any], location: Path, base: Any = None
    ) -> None:
        self.path, self.script = path, script  # the setting's path, to read a fresh Config
        self.revisions, self.location = list(revisions), location
        self.base = base  # dualwrite_alembic_base's MetaData: its DDL comes first

    def __call__(self, dialect: str) -> StaticSql:
        text = self._offline_text(dialect)
        parts = _RUNNING.split(text)
        if len(parts) != len(self.revisions) + 1:  # an env.py that writes its own output
            raise MigrationError(
                f"{self.location / 'env.py'}: offline mode (alembic upgrade head --sql) wrote "
                f"{len(parts) - 1} of {len(self.revisions)} revisions; let "
                f"context.run_migrations() write to Alembic's output buffer"
            )
        statements: list[Statement] = []
        with collector_paused():
            if self.base is not None:
                from .alembic_base import SETTING, base_ddl

                ddl = base_ddl(self.base, OFFLINE_URLS[dialect])
                statements += split(SqlSource(Path(f"{SETTING} (create_all)"), ddl), dialect)
            # the preamble (BEGIN, alembic_version) belongs to env.py; each part to its file
            places = [self.location / "env.py", *(Path(r.path) for r in self.revisions)]
            for place, part in zip(places, parts, strict=True):
                where = Path(f"{place} (offline SQL)")
                statements += split(SqlSource(where, part), dialect)
        return StaticSql(statements, dialect, "fold of Alembic's offline SQL")

    def _offline_text(self, dialect: str) -> str:
        from alembic.runtime.environment import EnvironmentContext
        from alembic.runtime.migration import MigrationStep

        from .alembic import alembic_config, where

        url = OFFLINE_URLS.get(dialect)
        if url is None:
            raise MigrationError(f"{self.location}: no offline SQL for dialect {dialect!r}")
        config = alembic_config(self.path)  # its own: the url set here stays here
        config.set_main_option("sqlalchemy.url", url)
        buffer = io.StringIO()
        config.output_buffer = buffer
        steps = [
            MigrationStep.upgrade_from_script(self.script.revision_map, r) for r in self.revisions
        ]
        try:
            with EnvironmentContext(
                config,
                self.script,
                fn=lambda rev, context: steps,
                as_sql=True,
                starting_rev=None,
                destination_rev="heads",
            ):
                self.script.run_env()
        except Exception as exc:
            raise MigrationError(
                where(exc, self.location, "offline SQL (alembic upgrade head --sql) failed")
                + "; a revision that reads data must skip it when "
                "context.is_offline_mode()"
            ) from None
        return buffer.getvalue()

"""What the static side of `models_match_migrations` folds: the SQL a history's ups run,
written in one dialect, with no database.

A history of SQL files is its own answer (its statements, prepared by the runner). A
history whose steps are code carries a source of its own on the `History`
(`static_source`): Alembic's offline mode (`as_sql`) writes the SQL its revisions would
run. Either way the fold and the comparer are the same; only where the SQL comes from
differs, so adding a tool is one more source, not a branch in the check.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from .model import Migration, Statement
from .runner import Runner
from .splitter import collector_paused


@dataclass(frozen=True)
class StaticSql:
    """The statements to fold, the dialect they are written in, and how a drift table's
    title names where they came from ("fold of the SQL files")."""

    statements: list[Statement]
    dialect: str
    label: str


class StaticSource(Protocol):
    """A history's own SQL for the fold, written in `dialect` (sqlglot's spelling)."""

    def __call__(self, dialect: str) -> StaticSql: ...


def static_sql(history: Sequence[Migration], runner: Runner) -> StaticSql:
    """The SQL the fold reads for `history`, in the runner's source dialect."""
    source: Any = getattr(history, "static_source", None)
    if source is not None:
        return source(runner.source)
    with collector_paused():
        statements = [s for m in runner.migrations for s in runner.statements(m, "up")]
    return StaticSql(statements, runner.source, "fold of the SQL files")

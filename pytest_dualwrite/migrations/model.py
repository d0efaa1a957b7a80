"""Values shared by discovery, the dialect layer, the runner and the schema fold.

Kept apart from the code that builds them so each module can be read (and tested) alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Dialect names as sqlglot spells them; the user may also write "postgresql" or "pg".
DIALECT_ALIASES = {
    "postgres": "postgres",
    "postgresql": "postgres",
    "pg": "postgres",
    "sqlite": "sqlite",
    "sqlite3": "sqlite",
    "mysql": "mysql",
    "mariadb": "mysql",
}


def canonical_dialect(name: str) -> str:
    """Map a user's dialect spelling to sqlglot's; unknown names raise ValueError."""
    try:
        return DIALECT_ALIASES[name.strip().lower()]
    except KeyError:
        known = ", ".join(sorted(set(DIALECT_ALIASES.values())))
        raise ValueError(f"unknown dialect {name!r} (known: {known})") from None


@dataclass(frozen=True)
class SqlSource:
    """SQL text of one direction of one migration, with where it starts in its file.

    `first_line` is 1-based: dbmate files hold up and down in one file, so the down part
    starts further in, and error messages must still name the real line.
    """

    path: Path
    text: str
    first_line: int = 1


@dataclass(frozen=True)
class PythonStep:
    """A step applied by Python code given a connection: a `NNN_desc.py` file's
    `upgrade(conn)` and optional `downgrade(conn)`, or a tool's own API (an Alembic
    revision applied through Alembic) wrapped by the reader of that tool."""

    path: Path
    upgrade: Callable[[Any], None]
    downgrade: Callable[[Any], None] | None = None
    # The tool's way to apply several consecutive ups in one go (the same callable on
    # each of them), given the connection and those steps: Alembic runs env.py once for
    # a range of revisions, as `alembic upgrade head` does, instead of once a revision.
    many: Callable[[Any, Sequence[PythonStep]], None] | None = None


@dataclass(frozen=True)
class Migration:
    """One step of the history, whatever convention it was written in.

    `version` is the sortable form (`(2, 1)` for Flyway `V2.1`, `(20250109001424,)` for a
    timestamp); `version_text` is what the user wrote and what error messages show.
    """

    version: tuple[int, ...]
    version_text: str
    description: str
    convention: str  # the reader's name: "numbered", "timestamp", "updown", "dbmate", ...
    up: SqlSource | PythonStep
    down: SqlSource | PythonStep | None = None
    # Per-dialect stand-ins: {"sqlite": SqlSource(...)} from NNN_desc.sqlite.sql
    stand_ins: dict[str, SqlSource] = field(default_factory=dict, compare=False, hash=False)
    repeatable: bool = False  # Flyway R__ files: run after the versioned ones
    # "table" or "table.column" names this step declares it drops on purpose
    # (`-- dualwrite: drops accounts.display_name`).
    declared_drops: frozenset[str] = frozenset()
    # How messages name the step when its file name alone does not (`2023..._x/up.sql`).
    name: str | None = None

    @property
    def path(self) -> Path:
        return self.up.path

    @property
    def label(self) -> str:
        return self.name or self.path.name

    @property
    def number(self) -> int | str:
        """What users type for `expand=`, `contract=`, `migrate_to`: an int where it is one."""
        if len(self.version) == 1:
            return self.version[0]
        return self.version_text


@dataclass(frozen=True)
class Statement:
    """One SQL statement ready to run, with the place it came from.

    `opaque` is True where sqlglot could only keep the statement as a command (DO blocks,
    plpgsql functions, triggers): it runs verbatim on its own dialect, nowhere else.
    `expression` is the parsed sqlglot tree in the *source* dialect (None when opaque).
    `unreadable` says why sqlglot could not read it (then it is opaque): it runs as written
    on its own dialect, where the server judges it, and nowhere else.
    """

    sql: str
    path: Path
    line: int
    source_sql: str
    opaque: bool = False
    expression: Any = field(default=None, compare=False, hash=False)
    unreadable: str | None = None

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"

"""The registry of migration readers: the conventions discovery can read, in the order it
asks them. A file is offered to each reader in turn and belongs to the first that claims
it, so a reader told apart by markers inside the file comes before the plain one.

Adding a convention is one more small module with a `Reader` subclass, and one line here
(or `register()` at run time, for a reader that lives outside the plugin).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..model import Migration, SqlSource
from .alembic import AlembicReader
from .atlas import AtlasReader
from .base import Bookkeeping, Claim, Group, Reader
from .dbmate import DbmateReader
from .files import NumberedReader
from .flyway import FlywayReader
from .folders import DieselReader, PrismaReader
from .goose import GooseReader
from .history import History
from .python_steps import PythonReader
from .sql_migrate import SqlMigrateReader
from .updown import UpDownReader

READERS: list[Reader] = [
    AlembicReader(),  # a folder with env.py and versions/: points at dualwrite_alembic
    FlywayReader(),  # V1__x.sql, U1__x.sql, R__x.sql, V2__x.java
    DieselReader(),  # <version>_x/up.sql
    PrismaReader(),  # <timestamp>_x/migration.sql
    UpDownReader(),  # NNN_x.up.sql / NNN_x.down.sql (golang-migrate)
    DbmateReader(),  # NNN_x.sql with -- migrate:up
    GooseReader(),  # NNN_x.sql with -- +goose Up, NNN_x.go
    SqlMigrateReader(),  # NNN_x.sql with -- +migrate Up
    AtlasReader(),  # NNN_x.sql beside atlas.sum
    NumberedReader(),  # NNN_x.sql
    PythonReader(),  # NNN_x.py
]


def register(reader: Reader) -> None:
    """Ask `reader` first, before the built-in ones."""
    READERS.insert(0, reader)


def unregister(reader: Reader) -> None:
    READERS.remove(reader)



def reader_named(name: str) -> Reader | None:
    return next((r for r in READERS if r.name == name), None)


def expected_names() -> str:
    """Every convention's example name, for "fits no migration convention" (the plain
    numbered file first: the one most folders hold; none for a reader claiming no file)."""
    listed = sorted((r for r in READERS if r.example), key=lambda r: r.name != "numbered")
    return ", ".join(r.example for r in listed)


def bookkeeping_for(migrations: Iterable[Migration]) -> tuple[Bookkeeping, ...]:
    """The tool tables a history uses: the bookkeeping of each convention in it whose
    table any of its SQL names (`GRANT SELECT ON schema_migrations TO app`), or that the
    tool itself always writes (Alembic's `alembic_version`)."""
    migrations = list(migrations)
    texts = [s.text for m in migrations
             for s in (m.up, m.down, *m.stand_ins.values()) if isinstance(s, SqlSource)]
    found: dict[str, Bookkeeping] = {}
    for name in dict.fromkeys(m.convention for m in migrations):
        reader = reader_named(name)
        keeping = reader.bookkeeping if reader is not None else None
        if keeping is None or keeping.table in found:
            continue
        if keeping.always:
            found[keeping.table] = keeping
            continue
        pattern = re.compile(rf"(?<![\w$]){re.escape(keeping.table)}(?![\w$])", re.I)
        if any(pattern.search(text) for text in texts):
            found[keeping.table] = keeping
    return tuple(found.values())


__all__ = ["READERS", "Bookkeeping", "Claim", "Group", "History", "Reader",
           "bookkeeping_for", "expected_names", "reader_named", "register", "unregister"]

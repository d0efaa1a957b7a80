"""Folder-per-migration layouts: Diesel's `<version>_name/up.sql` (and `down.sql`) and
Prisma's `<timestamp>_name/migration.sql`.

Diesel's version is the folder name before its first `_`, dashes removed
(`2023-01-01-120000_x` is 20230101120000); Prisma's folder names start with a 14-digit
timestamp. Both order by version and allow gaps. Diesel keeps
`__diesel_schema_migrations`, Prisma `_prisma_migrations`.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ...errors import MigrationError
from ..model import Migration
from .base import Bookkeeping, Claim, Group, Reader

_DIESEL = re.compile(r"(?P<version>[\d-]*\d[\d-]*)_(?P<desc>.+)")
_PRISMA = re.compile(r"(?P<version>\d+)_(?P<desc>.+)")


def _diesel_version(migration: Migration, previous: Migration | None) -> dict[str, Any]:
    return {"version": migration.version_text}


def _prisma_row(migration: Migration, previous: Migration | None) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "name": migration.path.parent.name,
            "checksum": hashlib.sha256(migration.path.read_bytes()).hexdigest()}


# diesel_migrations/src/migration/setup_migration_table.sql
DIESEL = Bookkeeping(
    tool="Diesel",
    table="__diesel_schema_migrations",
    create={"postgres": ("CREATE TABLE IF NOT EXISTS __diesel_schema_migrations (version "
                         "VARCHAR(50) PRIMARY KEY NOT NULL, run_on TIMESTAMP NOT NULL DEFAULT "
                         "CURRENT_TIMESTAMP)",)},
    applied=("INSERT INTO __diesel_schema_migrations (version) VALUES (:version)",),
    reverted=("DELETE FROM __diesel_schema_migrations WHERE version = :version",),
    params=_diesel_version,
)

# prisma-engines, the Postgres and SQLite connectors' create_migrations_table.
PRISMA = Bookkeeping(
    tool="Prisma",
    table="_prisma_migrations",
    create={
        "postgres": ("CREATE TABLE _prisma_migrations (id VARCHAR(36) PRIMARY KEY NOT NULL, "
                     "checksum VARCHAR(64) NOT NULL, finished_at TIMESTAMPTZ, migration_name "
                     "VARCHAR(255) NOT NULL, logs TEXT, rolled_back_at TIMESTAMPTZ, "
                     "started_at TIMESTAMPTZ NOT NULL DEFAULT now(), applied_steps_count "
                     "INTEGER NOT NULL DEFAULT 0)",),
        "sqlite": ('CREATE TABLE "_prisma_migrations" ("id" TEXT PRIMARY KEY NOT NULL, '
                   '"checksum" TEXT NOT NULL, "finished_at" DATETIME, "migration_name" TEXT '
                   'NOT NULL, "logs" TEXT, "rolled_back_at" DATETIME, "started_at" DATETIME '
                   'NOT NULL DEFAULT current_timestamp, "applied_steps_count" INTEGER '
                   "UNSIGNED NOT NULL DEFAULT 0)",),
    },
    applied=("INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, "
             "started_at, applied_steps_count) VALUES (:id, :checksum, CURRENT_TIMESTAMP, "
             ":name, CURRENT_TIMESTAMP, 1)",),
    reverted=("DELETE FROM _prisma_migrations WHERE migration_name = :name",),
    params=_prisma_row,
)


class FolderReader(Reader):
    """A folder a migration, its up (and down) a file of fixed name inside."""

    pattern: re.Pattern[str]
    up_name: str

    def claim(self, path: Path) -> Sequence[Claim] | None:
        m = self.pattern.fullmatch(path.name)
        if m is None or not path.is_dir() or not (path / self.up_name).is_file():
            return None
        digits = m["version"].replace("-", "")
        version, text = (int(digits),), digits
        claims = [Claim(path / self.up_name, self, "up", version, text, m["desc"])]
        if (path / "down.sql").is_file():
            claims.append(Claim(path / "down.sql", self, "down", version, text, m["desc"]))
        return claims

    def migration(self, group: Group) -> Migration:
        migration = super().migration(group)
        assert group.up is not None
        return Migration(migration.version, migration.version_text, migration.description,
                         migration.convention, migration.up, migration.down,
                         declared_drops=migration.declared_drops,
                         name=f"{group.up.path.parent.name}/{group.up.path.name}")


class DieselReader(FolderReader):
    name = "diesel"
    label = "Diesel folders (<version>_name/up.sql)"
    example = "2023-01-01-120000_description/up.sql"
    pattern = _DIESEL
    up_name = "up.sql"
    bookkeeping = DIESEL


class PrismaReader(FolderReader):
    name = "prisma"
    label = "Prisma folders (<timestamp>_name/migration.sql)"
    example = "20230101120000_description/migration.sql"
    pattern = _PRISMA
    up_name = "migration.sql"
    bookkeeping = PRISMA

    def claim(self, path: Path) -> Sequence[Claim] | None:
        claims = super().claim(path)
        if claims is None and path.is_dir() and _DIESEL.fullmatch(path.name) \
                and not (path / "up.sql").is_file() and any(path.glob("*.sql")):
            raise MigrationError(
                f"{path}: a folder named like a migration, but with neither up.sql (Diesel) "
                f"nor migration.sql (Prisma) in it; rename its SQL file, or move the folder "
                f"out of the migrations folder")
        return claims

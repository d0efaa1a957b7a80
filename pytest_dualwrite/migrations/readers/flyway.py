"""Flyway: `V1__x.sql`, undo `U1__x.sql`, repeatable `R__x.sql` (run after the versioned
ones, by description), and migrations Flyway runs as code (`V56_1__x.java`).

Versions compare as numbers part by part (`V2.1` after `V2`, `V10` after `V9`, `1.0` is
`1`). Flyway allows gaps: a version may live in a Java class, elsewhere on the classpath.
Its table is `flyway_schema_history`, one row a migration.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ...errors import MigrationError
from ..model import Migration
from .base import Bookkeeping, Claim, Reader
from .text import strip_suffixes

_VERSIONED = re.compile(r"(?P<prefix>[VU])(?P<version>\d+(?:[._]\d+)*)__(?P<desc>.*)")
_REPEATABLE = re.compile(r"R__(?P<desc>.+)")
# What Flyway runs that is not SQL: Java-based migrations and script migrations.
CODE = {".java": "a Java", ".kt": "a Kotlin", ".class": "a compiled Java", ".sh": "a shell",
        ".bash": "a shell", ".ps1": "a PowerShell", ".cmd": "a Windows", ".bat": "a Windows",
        ".py": "a Python"}


def _row(migration: Migration, previous: Migration | None) -> dict[str, Any]:
    return {"version": None if migration.repeatable else migration.version_text.replace("_", "."),
            "description": migration.description.replace("_", " "),
            "script": migration.path.name, "by": "pytest-dualwrite", "success": True}


_HISTORY = '"flyway_schema_history"'
# getRawCreateScript of PostgreSQLDatabase and SQLiteDatabase in flyway/flyway.
FLYWAY = Bookkeeping(
    tool="Flyway",
    table="flyway_schema_history",
    create={
        "postgres": (
            f'CREATE TABLE {_HISTORY} ("installed_rank" INT NOT NULL, "version" VARCHAR(50),'
            ' "description" VARCHAR(200) NOT NULL, "type" VARCHAR(20) NOT NULL, "script" '
            'VARCHAR(1000) NOT NULL, "checksum" INTEGER, "installed_by" VARCHAR(100) NOT NULL,'
            ' "installed_on" TIMESTAMP NOT NULL DEFAULT now(), "execution_time" INTEGER NOT '
            'NULL, "success" BOOLEAN NOT NULL)',
            f'ALTER TABLE {_HISTORY} ADD CONSTRAINT "flyway_schema_history_pk" PRIMARY KEY '
            '("installed_rank")',
            f'CREATE INDEX "flyway_schema_history_s_idx" ON {_HISTORY} ("success")'),
        "sqlite": (
            f'CREATE TABLE {_HISTORY} ("installed_rank" INT NOT NULL PRIMARY KEY, "version" '
            'VARCHAR(50), "description" VARCHAR(200) NOT NULL, "type" VARCHAR(20) NOT NULL, '
            '"script" VARCHAR(1000) NOT NULL, "checksum" INT, "installed_by" VARCHAR(100) NOT'
            " NULL, \"installed_on\" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f',"
            "'now')), \"execution_time\" INT NOT NULL, \"success\" BOOLEAN NOT NULL)",
            f'CREATE INDEX "main"."flyway_schema_history_s_idx" ON {_HISTORY} ("success")'),
    },
    applied=(f'INSERT INTO {_HISTORY} ("installed_rank", "version", "description", "type", '
             '"script", "installed_by", "execution_time", "success") SELECT COALESCE(MAX('
             '"installed_rank"), 0) + 1, :version, :description, \'SQL\', :script, :by, 0, '
             f':success FROM {_HISTORY}',),
    reverted=(f'DELETE FROM {_HISTORY} WHERE "version" = :version',),
    params=_row,
)


def _trim_zeros(parts: tuple[int, ...]) -> tuple[int, ...]:
    while len(parts) > 1 and parts[-1] == 0:
        parts = parts[:-1]
    return parts


class FlywayReader(Reader):
    name = "flyway"
    label = "Flyway (V1__description.sql)"
    example = "V1__description.sql"
    joins_python = False
    version_prefix = "V"
    bookkeeping = FLYWAY

    def claim(self, path: Path) -> Sequence[Claim] | None:
        name, suffix = path.name, path.suffix.lower()
        if path.is_dir() or not (name.endswith(".sql") or suffix in CODE):
            return None
        if suffix in CODE:
            m = _VERSIONED.fullmatch(name[: -len(suffix)])
            if m is None or m["prefix"] != "V":
                return None
            return [Claim(path, self, "code", self._version(m["version"]), m["version"],
                          m["desc"])]
        stem, role, dialect = strip_suffixes(name[: -len(".sql")])
        if m := _REPEATABLE.fullmatch(stem):
            self._no_direction(path, role)
            return [Claim(path, self, "up", (), f"R__{m['desc']}", m["desc"], dialect, True)]
        if m := _VERSIONED.fullmatch(stem):
            self._no_direction(path, role)
            direction = "up" if m["prefix"] == "V" else "down"
            return [Claim(path, self, direction, self._version(m["version"]), m["version"],
                          m["desc"], dialect)]
        return None

    @staticmethod
    def _version(text: str) -> tuple[int, ...]:
        return _trim_zeros(tuple(int(p) for p in re.split(r"[._]", text)))  # 1.0 is 1

    @staticmethod
    def _no_direction(path: Path, role: str | None) -> None:
        if role:
            raise MigrationError(
                f"{path}: Flyway file names have no .up/.down part; name the undo file "
                f"U<version>__description.sql instead")

    def orphan(self, claim: Claim) -> str:
        if claim.role == "down" and claim.dialect is None:
            return f"an undo migration without its V{claim.version_text}__ migration"
        return super().orphan(claim)

    def code_note(self, claim: Claim) -> str:
        kind = CODE[claim.path.suffix.lower()]
        return (f"{claim.path}: {kind} migration (Flyway runs it, the plugin cannot): "
                f"version V{claim.version_text} is left out of every check")

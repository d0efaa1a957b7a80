"""sql-migrate (rubenv/sql-migrate): `-- +migrate Up` / `-- +migrate Down` in one file.

Its parser (sqlparse.go) reads a command only from a line starting exactly with
`-- +migrate `, case-sensitive (`Up`, `Down`, `StatementBegin`, `StatementEnd`); an
unknown command is skipped, so `-- +migrate down` leaves the SQL below it in the section
above. Lines above the first Up/Down are never run. Sections may alternate: every Up
section is the up, every Down section the down, in file order. sql-migrate allows gaps;
its table is gorp's `gorp_migrations (id, applied_at)`, the id being the file name.
"""

from __future__ import annotations

import re
from typing import Any

from ..model import Migration, SqlSource
from .base import Bookkeeping, Claim
from .files import MarkerReader
from .markers import after_line, cut_body, first_statement, refuse_at
from .text import masked, optional

_PREFIX = "-- +migrate "
_LOOKS = re.compile(r"^[ \t]*--[ \t]*\+migrate\b", re.M | re.I)


def _id(migration: Migration, previous: Migration | None) -> dict[str, Any]:
    return {"id": migration.path.name}


# gorp's CreateTablesIfNotExists for sql-migrate's MigrationRecord (Id string key,
# AppliedAt time.Time): varchar(255) and timestamp with time zone / datetime.
SQL_MIGRATE = Bookkeeping(
    tool="sql-migrate",
    table="gorp_migrations",
    create={
        "postgres": ('create table if not exists "gorp_migrations" ("id" varchar(255) not '
                     'null primary key, "applied_at" timestamp with time zone)',),
        "sqlite": ('create table if not exists "gorp_migrations" ("id" varchar(255) not '
                   'null primary key, "applied_at" datetime)',),
    },
    applied=('insert into "gorp_migrations" ("id", "applied_at") '
             "values (:id, CURRENT_TIMESTAMP)",),
    reverted=('delete from "gorp_migrations" where "id" = :id',),
    params=_id,
)


class SqlMigrateReader(MarkerReader):
    name = "sql-migrate"
    label = "sql-migrate (-- +migrate Up sections)"
    example = "1_description.sql with -- +migrate Up"
    looks_like = _LOOKS
    bookkeeping = SQL_MIGRATE

    def sections(self, claim: Claim, text: str) -> tuple[SqlSource, SqlSource | None, str]:
        path, strict = claim.path, claim.dialect is None
        marks: list[tuple[int, str]] = []  # (offset, "up" | "down")
        offset = 0
        for line in text.split("\n"):
            start, offset = offset, offset + len(line) + 1
            fields = line[len(_PREFIX):].split() if line.startswith(_PREFIX) else []
            if fields and fields[0] in ("Up", "Down"):
                marks.append((start, fields[0].lower()))
            elif fields and fields[0] in ("StatementBegin", "StatementEnd"):
                continue
            elif _LOOKS.match(line):
                raise refuse_at(path, text, start, (
                    f"`{line.strip()}` is not a command sql-migrate reads (it reads "
                    "`-- +migrate Up`, `Down`, `StatementBegin` and `StatementEnd`, "
                    "capitalised, at the start of a line), so the SQL below it would run "
                    "with the section above; write it that way"))
        if not any(role == "up" for _, role in marks):
            if marks:
                raise refuse_at(path, text, marks[0][0], "has `-- +migrate Down` but no "
                                "`-- +migrate Up`; add `-- +migrate Up` above the up SQL")
            return SqlSource(path, text), None, ""
        early = first_statement(text, 0, marks[0][0]) if strict else None
        if early is not None:
            raise refuse_at(path, text, early, "SQL above the first `-- +migrate` line, which "
                            "sql-migrate never runs; move it into the Up section")
        spans: dict[str, list[tuple[int, int]]] = {"up": [], "down": []}
        for i, (start, role) in enumerate(marks):
            end = marks[i + 1][0] if i + 1 < len(marks) else len(text)
            spans[role].append((after_line(text, start), end))
        if strict:
            cut_body(path, text, spans["up"] + spans["down"],
                     lambda line: line.startswith(f"{_PREFIX}StatementBegin"),
                     lambda line: line.startswith(f"{_PREFIX}StatementEnd"),
                     "sql-migrate", "-- +migrate")
        up = SqlSource(path, *masked(text, spans["up"]))
        down = optional(SqlSource(path, *masked(text, spans["down"]))) \
            if spans["down"] else None
        return up, down, text[: marks[0][0]]

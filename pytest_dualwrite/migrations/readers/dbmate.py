"""dbmate: one file, `-- migrate:up` then `-- migrate:down`, read as dbmate 2.x reads it.

Since dbmate 2.29 (pull 620) a file may hold several sections, each a `-- migrate:up`
with its `-- migrate:down`; "the migration file either succeeds or fails as a whole".
dbmate applies the ups in file order and, on rollback, runs the downs in file order too
(db.go: `Rollback` walks the parsed sections forward); so does this reader. Like
dbmate's parser (migration.go) it refuses a section without its `-- migrate:down`, two
downs in one section, and SQL before the first `-- migrate:up`. A marker counts only
where dbmate's regular expression finds it: `--` at the start of a line, lowercase.
dbmate allows gaps; its table is `schema_migrations (version)`, one row a migration.
"""

from __future__ import annotations

import re
from typing import Any

from ..model import Migration, SqlSource
from .base import Bookkeeping, Claim
from .files import MarkerReader
from .markers import after_line, first_statement, line_text, refuse_at
from .text import masked, optional

_UP = re.compile(r"^--\s*migrate:up(?:\s*$|\s+\S+)", re.M)
_DOWN = re.compile(r"^--\s*migrate:down(?:\s*$|\s+\S+)", re.M)
_LOOKS = re.compile(r"^[ \t]*--[ \t]*migrate:(?:up|down)\b", re.M | re.I)


def _version(migration: Migration, previous: Migration | None) -> dict[str, Any]:
    return {"version": migration.version_text}


# pkg/driver/postgres and pkg/driver/sqlite of amacneil/dbmate, CreateMigrationsTable.
DBMATE = Bookkeeping(
    tool="dbmate",
    table="schema_migrations",
    create={
        "postgres": ("create table if not exists schema_migrations "
                     "(version varchar primary key)",),
        "sqlite": ('create table if not exists "schema_migrations" '
                   "(version varchar(128) primary key)",),
    },
    applied=("insert into schema_migrations (version) values (:version)",),
    reverted=("delete from schema_migrations where version = :version",),
    params=_version,
)


class DbmateReader(MarkerReader):
    name = "dbmate"
    label = "dbmate (-- migrate:up sections)"
    example = "20250109001424_description.sql with -- migrate:up"
    looks_like = _LOOKS
    bookkeeping = DBMATE

    def sections(self, claim: Claim, text: str) -> tuple[SqlSource, SqlSource | None, str]:
        path, strict = claim.path, claim.dialect is None  # stand-ins are ours, not dbmate's
        ups = [m.start() for m in _UP.finditer(text)]
        downs = [m.start() for m in _DOWN.finditer(text)]
        for m in _LOOKS.finditer(text):
            if m.start() not in ups and m.start() not in downs:
                raise refuse_at(path, text, m.start(), (
                    f"`{line_text(text, m.start())}` is not a marker dbmate reads (it reads "
                    "`-- migrate:up` and `-- migrate:down` in lowercase, at the start of a "
                    "line); write it that way"))
        if not ups:
            if downs:
                raise refuse_at(path, text, downs[0], "has `-- migrate:down` but no "
                                "`-- migrate:up`; add `-- migrate:up` above the up SQL")
            return SqlSource(path, text), None, ""
        if downs and downs[0] < ups[0]:
            raise refuse_at(path, text, downs[0], "the down section comes before "
                            "`-- migrate:up`; put the up section first")
        early = first_statement(text, 0, ups[0]) if strict else None
        if early is not None:
            raise refuse_at(path, text, early, "SQL before the first `-- migrate:up`, which "
                            "dbmate refuses; move it below `-- migrate:up`")
        up_spans: list[tuple[int, int]] = []
        down_spans: list[tuple[int, int]] = []
        for i, start in enumerate(ups):
            end = ups[i + 1] if i + 1 < len(ups) else len(text)
            inside = [d for d in downs if start < d < end]
            if len(inside) > 1:
                raise refuse_at(path, text, inside[1], "a second `-- migrate:down` in one "
                                "section; dbmate refuses it: add a `-- migrate:up` above it")
            if not inside and strict:
                raise refuse_at(path, text, start, "this `-- migrate:up` section has no "
                                "`-- migrate:down`, which dbmate refuses; add "
                                "`-- migrate:down` (an empty down section is fine)")
            up_end = inside[0] if inside else end
            up_spans.append((after_line(text, start), up_end))
            if inside:
                down_spans.append((after_line(text, inside[0]), end))
        up = SqlSource(path, *masked(text, up_spans))
        down = optional(SqlSource(path, *masked(text, down_spans))) if down_spans else None
        return up, down, text[: ups[0]]

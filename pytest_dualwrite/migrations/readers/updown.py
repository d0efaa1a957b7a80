"""golang-migrate's `NNN_description.up.sql` / `.down.sql` pairs.

golang-migrate sorts by version and allows gaps. Its table `schema_migrations` holds one
row, the last version applied, rewritten after every step (`SetVersion`).
"""

from __future__ import annotations

import re
from typing import Any

from ..model import Migration
from .base import Bookkeeping, Claim
from .files import NumberedSqlReader


def _versions(migration: Migration, previous: Migration | None) -> dict[str, Any]:
    return {"version": migration.version[0], "dirty": False,
            "previous": previous.version[0] if previous is not None else None}


# database/postgres and database/sqlite3 of golang-migrate/migrate, ensureVersionTable.
GOLANG_MIGRATE = Bookkeeping(
    tool="golang-migrate",
    table="schema_migrations",
    create={
        "postgres": ("CREATE TABLE IF NOT EXISTS schema_migrations "
                     "(version bigint not null primary key, dirty boolean not null)",),
        "sqlite": ("CREATE TABLE IF NOT EXISTS schema_migrations (version uint64,dirty bool)",
                   "CREATE UNIQUE INDEX IF NOT EXISTS version_unique "
                   "ON schema_migrations (version)"),
    },
    applied=("DELETE FROM schema_migrations",
             "INSERT INTO schema_migrations (version, dirty) VALUES (:version, :dirty)"),
    reverted=("DELETE FROM schema_migrations",
              "INSERT INTO schema_migrations (version, dirty) SELECT CAST(:previous AS BIGINT),"
              " :dirty WHERE CAST(:previous AS BIGINT) IS NOT NULL"),
    params=_versions,
)


class UpDownReader(NumberedSqlReader):
    name = "updown"
    label = "up/down pairs (NNN_description.up.sql)"
    example = "NNN_description.up.sql/.down.sql"
    paired = True
    bookkeeping = GOLANG_MIGRATE

    def orphan(self, claim: Claim) -> str:
        if claim.role == "down" and claim.dialect is None:
            expected = re.sub(r"\.down\.sql$", ".up.sql", claim.path.name)
            return f"a down migration without its up migration ({expected})"
        return super().orphan(claim)

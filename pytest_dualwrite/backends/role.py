"""Least privilege on Postgres: migrations and the user's code run as a per-run role.

The URL's role is often a superuser (CI images default to `postgres`), and whatever a
migration or a `write` runs would run with its rights: `dblink_exec` into another
database, `COPY ... TO PROGRAM` on the server. Where that role may create roles
(SUPERUSER or CREATEROLE), the backend creates one for the run: NOLOGIN, no SUPERUSER,
CREATEDB, CREATEROLE, REPLICATION or BYPASSRLS, the owner of every throwaway database,
and every connection to those databases runs `SET ROLE` to it first. What it creates
there it owns; anywhere else it has what PUBLIC has. It is dropped with the databases.

`SET ROLE` bounds accidents, not an attacker: a migration may `RESET ROLE`. Where the
role cannot be created, the run goes on as the URL's role and the header says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

ROLE_OPTIONS = "NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"


@dataclass(frozen=True)
class Privileges:
    """What the URL's role may do, as far as restricting the run goes."""

    user: str
    superuser: bool
    createrole: bool

    @property
    def can_restrict(self) -> bool:
        return self.superuser or self.createrole


def read_privileges(conn: sa.Connection) -> Privileges:
    row = conn.execute(sa.text(
        "SELECT current_user, rolsuper, rolcreaterole FROM pg_roles "
        "WHERE rolname = current_user")).one()
    return Privileges(str(row[0]), bool(row[1]), bool(row[2]))


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def create_role(conn: sa.Connection, name: str, privileges: Privileges) -> None:
    """The run's role, and membership in it for the URL's role (to SET ROLE to it, to
    make it own the databases and to drop them). A superuser needs no membership."""
    conn.exec_driver_sql(f"CREATE ROLE {quote(name)} {ROLE_OPTIONS}")
    if not privileges.superuser:
        # Postgres 16 grants a creator ADMIN only (createrole_self_grant): ask for SET too.
        version = int(conn.exec_driver_sql("SHOW server_version_num").scalar() or 0)
        options = " WITH INHERIT TRUE, SET TRUE" if version >= 160000 else ""
        conn.exec_driver_sql(f"GRANT {quote(name)} TO CURRENT_USER{options}")
    # Other roles' schemas are closed to it already; the URL's own database is not
    # (PUBLIC may connect): it may still read there what PUBLIC may, never write.


def drop_role(conn: sa.Connection, name: str) -> None:
    conn.exec_driver_sql(f"DROP ROLE IF EXISTS {quote(name)}")


def set_role_on_connect(engine: sa.Engine, name: str) -> None:
    """Every new connection of `engine` runs as `name` (committed: a rollback of the
    first transaction would otherwise undo the SET)."""
    statement = f"SET ROLE {quote(name)}"

    def on_connect(dbapi_connection: Any, record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(statement)
        finally:
            cursor.close()
        if not getattr(dbapi_connection, "autocommit", False):
            dbapi_connection.commit()

    sa.event.listen(engine, "connect", on_connect)


def describe(role: str | None, privileges: Privileges | None, why: str) -> str:
    """How the run's code reaches the server, for the header and the report."""
    if role is not None:
        return (f"migrations and your code run as {role}, a role of this run that owns "
                "only its databases")
    if privileges is None:
        return f"migrations and your code run as the URL's role ({why})"
    who = f"superuser {privileges.user}" if privileges.superuser else privileges.user
    reach = ("it can reach every database and run programs on the server"
             if privileges.superuser else f"they can do whatever {privileges.user} can")
    return f"WARNING: migrations and your code run as {who} ({why}): {reach}"


def why_unrestricted(privileges: Privileges, wanted: bool) -> str:
    if not wanted:
        return "dualwrite_restrict_role = false"
    return (f"{privileges.user} may not CREATE ROLE; grant it CREATEROLE to run them as a "
            "narrower role")


def planned(privileges: Privileges, wanted: bool) -> str:
    """The header's line, before the run connects for real."""
    if wanted and privileges.can_restrict:
        return ("migrations and your code will run as a role of this run that owns only "
                f"its databases ({privileges.user} may CREATE ROLE)")
    return describe(None, privileges, why_unrestricted(privileges, wanted))


def probe(url: sa.URL) -> Privileges:
    """The URL role's privileges, on a connection of its own (given up after 10 s)."""
    args = {"connect_timeout": 10} if url.get_driver_name() in ("psycopg", "psycopg2") else {}
    engine = sa.create_engine(url, connect_args=args, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return read_privileges(conn)
    finally:
        engine.dispose()

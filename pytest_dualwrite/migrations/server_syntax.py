"""Postgres itself reads the statements sqlglot could not, without running them.

A statement sqlglot keeps opaque runs as written on Postgres, where the server judges it;
but a down that `upgrade_from_empty` never runs would then carry a syntax error
(`DROP INDEX IF NOT EXISTS`, a missing comma) until the day someone rolls back. PL/pgSQL
parses every SQL statement of a block when it compiles it, so
`DO $$ BEGIN IF false THEN <statement>; END IF; END $$` has the server's own parser read
the statement, and never runs it: nothing is written, on any database.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ..errors import MigrationError
from .model import SqlSource, Statement
from .splitter import _short

TAG = "$dualwrite_syntax$"
PREFIX = f"DO {TAG} BEGIN IF false THEN "
SYNTAX_ERROR = "42601"
# First words PL/pgSQL reads as its own statements, not as SQL: left to the run itself.
PLPGSQL_WORDS = {"begin", "end", "declare", "open", "close", "fetch", "move", "execute",
                 "perform", "raise", "return", "get", "assert", "null", "exit", "continue",
                 "if", "case", "loop", "while", "for", "foreach", "copy", "commit",
                 "rollback", "call"}


def check_with_server(engine: sa.Engine, runner: Any) -> None:
    """Raise MigrationError naming file:line of every statement, up or down, that the
    Postgres server cannot parse; `runner` is a Runner from Postgres to Postgres."""
    found: list[str] = []
    with engine.connect() as conn:
        for migration in runner.migrations:
            for direction, step in (("up", migration.up), ("down", migration.down)):
                if not isinstance(step, SqlSource):
                    continue
                for statement in runner.statements(migration, direction):
                    error = _parse_error(conn, statement)
                    if error:
                        found.append(error)
    if found:
        raise MigrationError("\n".join(found))


def _parse_error(conn: sa.Connection, statement: Statement) -> str | None:
    sql = statement.sql.strip().rstrip(";").rstrip()
    words = sql.split(None, 1)
    if not statement.opaque or not words or TAG in sql or words[0].lower() in PLPGSQL_WORDS:
        return None
    try:
        conn.execution_options(no_parameters=True).exec_driver_sql(
            f"{PREFIX}{sql}\n;\nEND IF; END {TAG}")  # \n: a trailing -- comment ends
    except sa.exc.DBAPIError as exc:
        orig = exc.orig
        if getattr(orig, "sqlstate", None) != SYNTAX_ERROR and getattr(
                orig, "pgcode", None) != SYNTAX_ERROR:
            return None  # only what the parser refuses; the run judges the rest
        diag = getattr(orig, "diag", None)
        position = getattr(diag, "statement_position", None)
        message = getattr(diag, "message_primary", None) or str(orig).splitlines()[0]
        line = statement.line
        if position:
            offset = int(position) - 1 - len(PREFIX)
            if 0 <= offset <= len(sql):
                line += _lines_before(statement.sql, sql, offset)
        return (f"{statement.path}:{line}: postgres cannot parse the statement "
                f"{_short(sql)!r}: {message}")
    return None


def _lines_before(raw: str, sql: str, offset: int) -> int:
    """Newlines before `offset` of `sql`, counted in the statement as its file has it."""
    lead = len(raw) - len(raw.lstrip())
    return raw[: lead].count("\n") + sql[:offset].count("\n")

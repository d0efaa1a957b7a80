"""`ALTER TABLE t ALTER c ADD GENERATED ... AS IDENTITY [(RESTART n)]` on SQLite.

sqlglot keeps this Postgres form as a command. On SQLite only an INTEGER PRIMARY KEY
numbers itself (the rowid), and a SERIAL key already is one there; so the statement is
done when the column is the rowid, with `RESTART n` / `START n` moving the table's
AUTOINCREMENT counter so the next row gets n, as on Postgres. Any other column is refused.
"""

from __future__ import annotations

import re
from typing import Any

from .table import Refused, quote

_IDENTITY = re.compile(
    r"^ALTER\s+TABLE\s+(?:ONLY\s+)?(?:IF\s+EXISTS\s+)?(?P<table>[\w.\"]+)\s+ALTER\s+"
    r"(?:COLUMN\s+)?(?P<column>[\w\"]+)\s+ADD\s+GENERATED\s+(?:ALWAYS|BY\s+DEFAULT)\s+AS\s+"
    r"IDENTITY\s*(?:\((?P<options>[^)]*)\))?\s*;?\s*$", re.I | re.S)
_START = re.compile(r"\b(?:RESTART|START)\s+(?:WITH\s+)?(\d+)", re.I)


def identity_added(sql: str) -> tuple[str, str, int | None] | None:
    """(table, column, first value or None) of the statement, else None."""
    found = _IDENTITY.match(sql.strip())
    if found is None:
        return None
    start = _START.search(found["options"] or "")
    table = found["table"].split(".")[-1].strip('"')
    return table, found["column"].strip('"'), int(start[1]) if start else None


def identity_statements(conn: Any, table: str, column: str, start: int | None) -> list[str]:
    """What makes `column` number itself now: nothing (it is the rowid) plus the counter."""
    columns = conn.exec_driver_sql(f"PRAGMA table_info({quote(table)})").all()
    if not columns:
        raise Refused(f"no such table: {table}")
    keys = [c for c in columns if c[5]]
    if len(keys) != 1 or keys[0][1].lower() != column.lower() or keys[0][2].upper() != (
            "INTEGER"):
        raise Refused(f"SQLite can only number an INTEGER PRIMARY KEY, and {table}.{column} "
                      "is not one; add a stand-in")
    sql = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND "
                               "lower(name) = lower(?)", (table,)).scalar() or ""
    if start is None or "AUTOINCREMENT" not in sql.upper():
        return []  # the rowid takes the largest key + 1, as an identity past existing rows
    name = "'" + table.replace("'", "''") + "'"
    return [f"DELETE FROM sqlite_sequence WHERE lower(name) = lower({name})",
            f"INSERT INTO sqlite_sequence (name, seq) VALUES ({name}, {start - 1})"]

"""Views kept as Postgres keeps them through a column rename.

Postgres binds a view to columns by number when it creates it, so renaming a column later
changes neither the view's output names nor what it computes. SQLite's RENAME COLUMN
rewrites the view's text instead, and a projection written without an alias then changes
name with the column: a recursive CTE whose first branch selects `name` loses its column
`name`, and SQLite refuses the rename ("error in view ...: no such column"). Before the
rename, such projections get their own name as an explicit alias, as Postgres has it.
"""

from __future__ import annotations

import re
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from .table import quote
from .types import DualwriteSQLite, generate


def keep_view_columns(conn: Any, column: str) -> list[str]:
    """Statements that recreate each view (and its triggers) selecting `column` unaliased
    with the alias made explicit; run them just before the RENAME COLUMN."""
    word = re.compile(rf"\b{re.escape(column)}\b", re.I)
    views = conn.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'view' ORDER BY rowid").all()
    out: list[str] = []
    for name, sql in views:
        if not sql or not word.search(sql):
            continue
        aliased = _aliased(sql, column)
        if aliased is None:
            continue
        triggers = conn.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND lower(tbl_name) = "
            "lower(?) ORDER BY rowid", (name,)).scalars().all()
        out += [f"DROP VIEW {quote(name)}", aliased, *triggers]
    return out


def _aliased(sql: str, column: str) -> str | None:
    """The view's CREATE with each unaliased projection of `column` aliased to itself
    (None when there is none, or sqlglot cannot read the view)."""
    try:
        tree = sqlglot.parse_one(sql, read=DualwriteSQLite)
    except ParseError:
        return None
    changed = False
    for select in tree.find_all(exp.Select):
        for projection in select.expressions:
            if isinstance(projection, exp.Column) and projection.name.lower() == column.lower():
                projection.replace(exp.alias_(projection.copy(), projection.this.copy()))
                changed = True
    return generate(tree, strict=False) if changed else None

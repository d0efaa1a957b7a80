"""Postgres SQL functions that only compute one value, inlined where SQLite calls them.

`CREATE FUNCTION now_utc_micro_seconds() RETURNS BIGINT AS $$ SELECT ... $$ LANGUAGE sql`
is skipped on SQLite (it stores no functions), but later DEFAULTs and backfills call it.
A function with no parameters whose body is one `SELECT <expression>` without FROM means
that expression wherever it is called, so the call is replaced by it (then transpiled
like any other expression). Any other function stays skipped, and a call to it is
refused by SQLite by name.
"""

from __future__ import annotations

import re

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

_FUNCTION = re.compile(
    r"^CREATE\s+(?:OR\s+REPLACE\s+)?FUNCTION\s+(?:[\w\"]+\.)?(?P<name>[\w\"]+)\s*\(\s*\)"
    r"\s+RETURNS\s+[\w\s\"]+?\s+AS\s+(?P<tag>\$\w*\$)(?P<body>.*?)(?P=tag)(?P<rest>.*)$",
    re.I | re.S)
_LANGUAGE_SQL = re.compile(r"\bLANGUAGE\s+'?sql'?\b", re.I)


def sql_function(sql: str) -> tuple[str, exp.Expr] | None:
    """(name, body expression) of a one-expression SQL function without parameters."""
    found = _FUNCTION.match(sql.strip())
    if found is None or not _LANGUAGE_SQL.search(found["rest"] + " " + sql[:found.start(
            "tag")]):
        return None
    body = found["body"].strip().rstrip(";").strip()
    try:
        tree = sqlglot.parse_one(body, read="postgres")
    except (ParseError, TokenError):
        return None
    if not isinstance(tree, exp.Select) or len(tree.expressions) != 1 or any(
            tree.args.get(k) for k in ("from_", "where", "group", "joins", "with_")):
        return None
    return found["name"].strip('"').lower(), tree.expressions[0].unalias()


def inline(tree: exp.Expr, functions: dict[str, exp.Expr]) -> exp.Expr:
    """`tree` (a copy when anything changed) with each call of `functions` replaced."""
    if not functions:
        return tree
    def calls(node: exp.Expr) -> list[exp.Anonymous]:
        return [n for n in node.find_all(exp.Anonymous)
                if n.name.lower() in functions and not n.expressions]

    if not calls(tree):
        return tree
    tree = tree.copy()
    for call in calls(tree):
        call.replace(exp.Paren(this=functions[call.name.lower()].copy()))
    return tree

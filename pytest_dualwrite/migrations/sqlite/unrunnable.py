"""Statements SQLite cannot run at all, and why: they are skipped and listed, never
run and never silently dropped."""

from __future__ import annotations

from sqlglot import exp

from .types import Unsupported


class Skip(Exception):
    """A statement with no meaning on SQLite (GRANT, COMMENT ON...); str() is the reason."""


def refuse_or_skip(tree: exp.Expr) -> None:
    """Raise Skip (or Unsupported) for a parsed statement SQLite has no form of."""
    kind = str(tree.args.get("kind") or "").upper()
    if isinstance(tree, exp.Comment):
        raise Skip("SQLite keeps no comments on objects")
    if isinstance(tree, (exp.Grant, exp.Revoke)):
        raise Skip("SQLite has no privileges")
    if isinstance(tree, exp.Set):
        raise Skip("SQLite has no session settings")
    if isinstance(tree, (exp.Create, exp.Drop)) and kind in ("TYPE", "SEQUENCE", "SCHEMA"):
        if kind == "SCHEMA" and tree.this.name.lower() != "public":
            raise Unsupported("SQLite has no schemas")
        reason = {"TYPE": "SQLite has no types (enum columns become TEXT with a CHECK)",
                  "SEQUENCE": "SQLite has no sequences",
                  "SCHEMA": "SQLite has one schema"}[kind]
        raise Skip(reason)

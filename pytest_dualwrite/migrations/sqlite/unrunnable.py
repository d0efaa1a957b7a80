"""Statements SQLite cannot run at all, and why: they are skipped and listed, never run
and never dropped silently.

Skipping is safe for what only Postgres' catalog or server keeps (comments, privileges,
owners, row security for the tables' owner, extensions, session settings, maintenance):
the rows a migration leaves are the same without them. It is a loss for what changes
rows (a trigger, a rule, a DO block, a CALL): such a skip is `lossy`, carries the tables
it touches, and a spec on those tables says its SQLite result is partial.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlglot import exp
from sqlglot.tokens import Token, TokenType

from .types import Unsupported


class Skip(Exception):
    """A statement with no meaning on SQLite (GRANT, COMMENT ON...); str() is the reason."""


@dataclass(frozen=True)
class Unrunnable:
    """Why an opaque statement is skipped on SQLite, and what the skip costs."""

    reason: str
    lossy: bool = False  # skipping it can change what rows hold
    tables: tuple[str, ...] = ()  # tables it reads or writes (for lossy skips)
    routine: str | None = None  # the function or procedure it defines


NO_FUNCTIONS = "SQLite has no stored functions or procedures"
# First words of opaque statements whose skip changes no row -> reason.
HARMLESS = {
    ("CREATE", "EXTENSION"): "SQLite has no extensions",
    ("DROP", "EXTENSION"): "SQLite has no extensions",
    ("ALTER", "EXTENSION"): "SQLite has no extensions",
    ("COMMENT", "ON"): "SQLite keeps no comments on objects",
    ("GRANT",): "SQLite has no privileges",
    ("REVOKE",): "SQLite has no privileges",
    ("ALTER", "DEFAULT"): "SQLite has no privileges",
    ("CREATE", "POLICY"): "SQLite has no row security",
    ("ALTER", "POLICY"): "SQLite has no row security",
    ("DROP", "POLICY"): "SQLite has no row security",
    ("CREATE", "ROLE"): "SQLite has no roles",
    ("ALTER", "ROLE"): "SQLite has no roles",
    ("DROP", "ROLE"): "SQLite has no roles",
    ("CREATE", "USER"): "SQLite has no roles",
    ("DROP", "USER"): "SQLite has no roles",
    ("REFRESH", "MATERIALIZED"): "SQLite views are always fresh",
    ("ALTER", "SEQUENCE"): "SQLite has no sequences",
    ("VACUUM",): "maintenance, not schema",
    ("ANALYZE",): "maintenance, not schema",
    ("CLUSTER",): "maintenance, not schema",
    ("REINDEX",): "maintenance, not schema",
    ("LOCK",): "SQLite locks the whole database for the migration anyway",
    ("SET",): "SQLite has no session settings",
    ("RESET",): "SQLite has no session settings",
    ("DROP", "FUNCTION"): NO_FUNCTIONS,
    ("DROP", "PROCEDURE"): NO_FUNCTIONS,
    ("ALTER", "FUNCTION"): NO_FUNCTIONS,
    ("ALTER", "PROCEDURE"): NO_FUNCTIONS,
    ("DROP", "TRIGGER"): "its trigger was skipped on SQLite",
    ("ALTER", "TRIGGER"): "its trigger was skipped on SQLite",
    ("DROP", "RULE"): "its rule was skipped on SQLite",
    ("CREATE", "DOMAIN"): "SQLite has no domains (columns of the domain become TEXT)",
    ("ALTER", "DOMAIN"): "SQLite has no domains",
    ("DROP", "DOMAIN"): "SQLite has no domains",
    ("CREATE", "AGGREGATE"): NO_FUNCTIONS,
    ("DROP", "AGGREGATE"): NO_FUNCTIONS,
    ("CREATE", "OPERATOR"): "SQLite has no user-defined operators",
    ("CREATE", "CAST"): "SQLite has no user-defined casts",
    ("CREATE", "PUBLICATION"): "SQLite has no replication",
    ("CREATE", "STATISTICS"): "SQLite has no extended statistics",
    ("SECURITY", "LABEL"): "SQLite has no security labels",
}
HARMLESS_CLAUSES = {
    "OWNER TO": "SQLite has no owners",
    "ROW LEVEL SECURITY": "SQLite has no row security",
    "ENABLE TRIGGER": "its trigger was skipped on SQLite",
    "DISABLE TRIGGER": "its trigger was skipped on SQLite",
    "REPLICA IDENTITY": "SQLite has no replication",
    "SET STATISTICS": "SQLite has no per-column statistics targets",
    "SET STORAGE": "SQLite has no storage options",
    "CLUSTER ON": "maintenance, not schema",
}
# Words after which a table name follows, in a routine's body.
TABLE_WORDS = {"FROM", "JOIN", "INTO", "UPDATE", "TABLE", "ON"}
STRINGS = (TokenType.STRING, TokenType.HEREDOC_STRING, TokenType.RAW_STRING)
NAMES = (TokenType.VAR, TokenType.IDENTIFIER)
CATALOGS = {"information_schema", "pg_catalog"}


def refuse_or_skip(tree: exp.Expr) -> None:
    """Raise Skip (or Unsupported) for a parsed statement SQLite has no form of."""
    kind = str(tree.args.get("kind") or "").upper()
    if isinstance(tree, exp.Comment):
        raise Skip("SQLite keeps no comments on objects")
    if isinstance(tree, (exp.Grant, exp.Revoke)):
        raise Skip("SQLite has no privileges")
    if isinstance(tree, exp.Set):
        raise Skip("SQLite has no session settings")
    if isinstance(tree, exp.Drop) and kind in ("FUNCTION", "PROCEDURE"):
        raise Skip(NO_FUNCTIONS)
    if isinstance(tree, exp.Alter) and any(
            isinstance(a, exp.AlterSet) for a in tree.args.get("actions") or []):
        raise Skip("SQLite has no storage parameters")
    if isinstance(tree, (exp.Create, exp.Drop)) and kind in ("TYPE", "SEQUENCE"):
        raise Skip({"TYPE": "SQLite has no types (enum columns become TEXT with a CHECK)",
                    "SEQUENCE": "SQLite has no sequences"}[kind])
    if isinstance(tree, exp.Create) and kind == "SCHEMA":
        if (tree.this.text("db") or tree.this.name).lower() != "public":
            raise Unsupported("SQLite has no schemas")
        raise Skip("SQLite has one schema")


def classify(tokens: list[Token], routines: Mapping[str, tuple[str, ...]]) -> Unrunnable | None:
    """Why SQLite skips an opaque statement (by its tokens), or None if it must not.

    `routines`: tables each function skipped so far touches, so that a trigger calling one
    is known to touch them too.
    """
    words = [t.text.upper() for t in tokens if t.token_type not in STRINGS]
    if words[:1] == ["CREATE"] and words[1:3] == ["OR", "REPLACE"]:
        words = ["CREATE", *words[3:]]
    if words[:2] == ["CREATE", "CONSTRAINT"]:
        words = ["CREATE", *words[2:]]
    head = tuple(words[:2])
    if head in (("CREATE", "FUNCTION"), ("CREATE", "PROCEDURE")):
        name = _name_after(tokens, head[1])
        return Unrunnable(NO_FUNCTIONS, tables=body_tables(tokens), routine=name)
    if head in (("CREATE", "TRIGGER"), ("CREATE", "RULE")):
        on = _name_after(tokens, "ON")
        routine = _name_after(tokens, "FUNCTION") or _name_after(tokens, "PROCEDURE")
        tables = (on, *routines.get(routine or "", ()), *body_tables(tokens))
        what = "a trigger" if head[1] == "TRIGGER" else "a rule"
        return Unrunnable(f"SQLite cannot run {what} written for Postgres: what it would do "
                          f"to rows is not done", lossy=True, tables=_unique(tables))
    if words[:1] == ["DO"]:
        return Unrunnable("SQLite cannot run a DO block: what it would do is not done",
                          lossy=True, tables=body_tables(tokens))
    if words[:1] == ["CALL"]:
        routine = tokens[1].text.lower() if len(tokens) > 1 else ""
        return Unrunnable("SQLite cannot call a stored procedure: what it would do is not "
                          "done", lossy=True, tables=routines.get(routine, ()))
    for prefix, reason in HARMLESS.items():
        if tuple(words[: len(prefix)]) == prefix:
            return Unrunnable(reason)
    if words[:1] == ["ALTER"]:
        flat = " ".join(words)
        reason = next((r for clause, r in HARMLESS_CLAUSES.items() if clause in flat), None)
        return Unrunnable(reason) if reason else None
    return None


def body_tables(tokens: list[Token], depth: int = 2) -> tuple[str, ...]:
    """Tables a routine's body (its string tokens) names after FROM, JOIN, INTO, UPDATE,
    TABLE or ON: an over-estimate, good enough to say which specs a skip concerns.

    `depth`: sqlglot keeps a DO block's `$$...$$` as one string whose text still holds
    the dollar quotes, so a body may be a string inside a string.
    """
    from sqlglot import Dialect
    from sqlglot.errors import TokenError

    tokenizer = Dialect.get_or_raise("postgres").tokenizer()
    found: list[str] = []
    for token in tokens:
        if token.token_type not in STRINGS or len(token.text) < 8 or depth == 0:
            continue
        try:
            inner = tokenizer.tokenize(token.text)
        except TokenError:
            continue
        found += [*_names_after(inner, TABLE_WORDS), *body_tables(inner, depth - 1)]
    return _unique(found)


def _names_after(tokens: list[Token], words: set[str]) -> list[str]:
    return [name for i, t in enumerate(tokens) if t.text.upper() in words
            and (name := _dotted(tokens[i + 1:])) is not None]


def _name_after(tokens: list[Token], word: str) -> str | None:
    """The (unqualified, lower-case) name after the first `word`, e.g. the ON table."""
    for i, token in enumerate(tokens):
        if token.token_type not in STRINGS and token.text.upper() == word:
            rest = tokens[i + 1:]
            if rest and rest[0].text.upper() == "ONLY":
                rest = rest[1:]
            return _dotted(rest)
    return None


def _dotted(tokens: list[Token]) -> str | None:
    """The last part of a `schema.name` (or `name`) at the start of `tokens`; None for
    Postgres' own catalogs (`pg_type`, `information_schema.columns`)."""
    parts: list[str] = []
    for j, part in enumerate(tokens):
        if j % 2 == 0:
            if part.token_type not in NAMES:
                break
            parts.append(part.text.lower())
        elif part.token_type != TokenType.DOT:
            break
    if not parts or parts[0] in CATALOGS or parts[-1].startswith("pg_"):
        return None
    return parts[-1]


def _unique(names: tuple[str | None, ...] | list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(n for n in names if n))

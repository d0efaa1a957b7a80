"""The schema the migrations build, folded statement by statement with sqlglot, no database.

This is the static side of `models_match_migrations`: it needs no server, so it runs even
where Postgres is not available, and it names the file and line of whatever it could not
follow. A statement is either folded into the `Schema`, known to leave the schema alone
(INSERT, COMMENT, CREATE EXTENSION, ...), or recorded in `Schema.notes` as
"not folded: <file>:<line>: <first words>": never silently dropped.

Unnamed constraints and indexes get the names Postgres would give them (`users_pkey`,
`users_email_key`, `messages_role_check`), so a later `DROP CONSTRAINT users_email_key`
finds its target. Names are only bookkeeping: the comparer never compares them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.tokens import TokenType

from ..migrations.dialects import quiet_sqlglot
from ..migrations.model import Statement, canonical_dialect
from ..migrations.splitter import collector_paused as collector_paused  # re-exported
from .fold_alter import _AlterFold
from .fold_state import _name
from .model import ColumnType, Schema, Table
from .types import DIALECT_CAPABILITIES

# Statements that cannot change tables, columns, keys, indexes or enums.
_NO_SCHEMA_EFFECT = (exp.Insert, exp.Update, exp.Delete, exp.Query, exp.Merge, exp.Comment,
                     exp.Set, exp.Transaction, exp.Commit, exp.Rollback, exp.Grant, exp.Revoke,
                     exp.Analyze, exp.Use)
_NO_SCHEMA_EFFECT_WORDS = ("CREATE EXTENSION", "COMMENT ON", "GRANT", "REVOKE", "SET", "RESET",
                           "BEGIN", "COMMIT", "START TRANSACTION", "END", "ANALYZE", "VACUUM",
                           "INSERT", "UPDATE", "DELETE", "SELECT", "NOTIFY")
# What sqlglot keeps as a bare command but is simple enough to read here.
_ADD_VALUE = re.compile(
    r"ALTER\s+TYPE\s+(?P<type>[\w.\"]+)\s+ADD\s+VALUE\s+(?:IF\s+NOT\s+EXISTS\s+)?'(?P<label>(?:[^']|'')*)'"
    r"(?:\s+(?P<where>BEFORE|AFTER)\s+'(?P<other>(?:[^']|'')*)')?\s*;?\s*$", re.I | re.S)
_RENAME_VALUE = re.compile(
    r"ALTER\s+TYPE\s+(?P<type>[\w.\"]+)\s+RENAME\s+VALUE\s+'(?P<old>(?:[^']|'')*)'\s+TO\s+"
    r"'(?P<new>(?:[^']|'')*)'\s*;?\s*$", re.I | re.S)
_RENAME_CONSTRAINT = re.compile(
    r"ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?(?P<table>[\w.\"]+)\s+RENAME\s+CONSTRAINT\s+"
    r"(?P<old>[\w\"]+)\s+TO\s+(?P<new>[\w\"]+)\s*;?\s*$", re.I | re.S)
_VALIDATE = re.compile(r"ALTER\s+TABLE\s+.*\s+VALIDATE\s+CONSTRAINT\s+[\w\"]+\s*;?\s*$",
                       re.I | re.S)
_LEADING_COMMENTS = re.compile(r"^(\s*(--[^\n]*\n|/\*.*?\*/))*\s*", re.S)


def first_words(sql: str, count: int = 6) -> str:
    """The start of a statement as a person recognizes it, comments skipped."""
    words = _LEADING_COMMENTS.sub("", sql, count=1).split()
    text = " ".join(words[:count])
    return text + (" ..." if len(words) > count else "")


class _Fold(_AlterFold):
    """The schema so far; `apply` moves it on by one statement."""

    # --- dispatch -----------------------------------------------------------------------
    def apply(self, statement: Statement) -> None:
        """Fold one statement, as written in the source dialect (`source_sql`)."""
        sql = statement.source_sql or statement.sql
        node = statement.expression
        if node is None and not statement.opaque:
            try:
                with quiet_sqlglot():
                    node = sqlglot.parse_one(sql, read=self.dialect)
            except SqlglotError:
                node = None
        if node is None or isinstance(node, exp.Command):
            folded = self._command(sql)
        elif isinstance(node, _NO_SCHEMA_EFFECT):
            folded = True
        elif isinstance(node, exp.Create):
            folded = self._create(node)
        elif isinstance(node, exp.Alter):
            folded = self._alter(node)
        elif isinstance(node, exp.Drop):
            folded = self._drop(node)
        else:
            folded = False
        if not folded:
            unread = f" (sqlglot cannot read it: {statement.unreadable})" \
                if statement.unreadable else ""
            self.notes.append(f"not folded: {statement.where}: {first_words(sql)}{unread}")

    def _command(self, sql: str) -> bool:
        text = _LEADING_COMMENTS.sub("", sql, count=1).strip()
        if match := _ADD_VALUE.match(text):
            name, label = _name(match["type"]), match["label"].replace("''", "'")
            if name not in self.enums:
                return False
            labels = list(self.enums[name])
            if label not in labels:
                other = (match["other"] or "").replace("''", "'")
                at = len(labels)
                if other in labels:
                    at = labels.index(other) + (match["where"].upper() == "AFTER")
                labels.insert(at, label)
            self.enums[name] = tuple(labels)
            return True
        if match := _RENAME_VALUE.match(text):
            name = _name(match["type"])
            old, new = match["old"].replace("''", "'"), match["new"].replace("''", "'")
            if old not in self.enums.get(name, ()):
                return False
            self.enums[name] = tuple(new if v == old else v for v in self.enums[name])
            return True
        if match := _RENAME_CONSTRAINT.match(text):
            names = (_name(match[k]) for k in ("table", "old", "new"))
            return self._rename_constraint(*names)
        if _VALIDATE.match(text):
            return True
        upper = " ".join(text.upper().split())
        return any(upper == w or upper.startswith(w + " ") for w in _NO_SCHEMA_EFFECT_WORDS)

    # --- result -------------------------------------------------------------------------
    def schema(self) -> Schema:
        caps = DIALECT_CAPABILITIES.get(self.dialect, {})
        tables = []
        for t in sorted(self.tables.values(), key=lambda t: t.name):
            columns = []
            for col in t.columns.values():
                if col.type.family == "enum" and col.type.variant in self.enums:
                    col = replace(col, type=replace(col.type, values=self.enums[col.type.variant]))
                if col.name in t.primary_key:
                    col = replace(col, nullable=False)
                    # SQLite: a lone INTEGER PRIMARY KEY is the rowid, which numbers itself.
                    rowid = (len(t.primary_key) == 1 and not caps.get("exact_types", True)
                             and col.type == ColumnType("integer", 4))
                    col = replace(col, autoincrement=col.autoincrement or rowid)
                columns.append(col)
            fks = frozenset(
                replace(f, ref_columns=self.tables[f.ref_table].primary_key)
                if not f.ref_columns and f.ref_table in self.tables else f for f in t.foreign_keys)
            indexes = frozenset(i for owner, i in self.indexes.values() if owner == t.name)
            tables.append(Table(t.name, tuple(columns), t.primary_key, fks, frozenset(t.uniques),
                                indexes, frozenset(t.checks)))
        return Schema(tuple(tables), tuple(sorted(self.enums.items())), tuple(self.notes),
                      source="migrations", exact_types=caps.get("exact_types", True),
                      has_enums=caps.get("has_enums", True))


def from_sql(statements: Iterable[Statement], dialect: str) -> Schema:
    """Fold `statements` (in order) into the schema they build, written in `dialect`."""
    fold = _Fold(dialect)
    for statement in statements:
        fold.apply(statement)
    return fold.schema()


def split_text(text: str, dialect: str, path: str | Path = "<text>") -> list[Statement]:
    """Statements of `text` with their lines, by sqlglot's tokenizer (for tests and tools).

    The migrations layer has its own splitter; this one only needs to be right enough for
    SQL written inline, where dollar-quoted bodies and comments are still tokens.
    """
    read = canonical_dialect(dialect)
    tokens = sqlglot.Dialect.get_or_raise(read).tokenize(text)
    chunks: list[list] = [[]]
    for token in tokens:
        if token.token_type == TokenType.SEMICOLON:
            chunks.append([])
        else:
            chunks[-1].append(token)
    out = []
    for chunk in filter(None, chunks):
        sql = text[chunk[0].start:chunk[-1].end + 1]
        try:
            with quiet_sqlglot():
                tree = sqlglot.parse_one(sql, read=read)
        except SqlglotError:
            tree = None
        opaque = tree is None or isinstance(tree, exp.Command)
        out.append(Statement(sql, Path(path), chunk[0].line, sql, opaque,
                             None if opaque else tree))
    return out


def from_sql_text(text: str, dialect: str, path: str | Path = "<text>") -> Schema:
    """`from_sql` over SQL text split by sqlglot: a convenience for tests."""
    return from_sql(split_text(text, dialect, path), dialect)

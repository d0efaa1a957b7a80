"""SQL text to statements, and statements to the SQL each backend runs.

`split` cuts a migration into statements with sqlglot's tokenizer (so semicolons inside
strings, dollar quotes and comments never split) and parses each one, naming file:line
when it cannot. `for_dialect` then gives what a target runs: the user's own text on the
dialect it was written in, sqlglot's transpilation plus our fix-ups (the `sqlite` package)
elsewhere. Statements with no meaning on the target are left out *and recorded* in the
`TranspileContext`, never dropped silently.

A runner calls, per migration and in history order, with one context for the history:

    statements = prepare(migration, "up", source, target, context)
    for statement in statements:
        for sql in expand_at_apply(conn, statement, target):
            conn.exec_driver_sql(sql)

`expand_at_apply` turns SQLite's missing ALTER TABLE forms into statements for the
table as it is at that moment, so it must be called just before running them.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from operator import attrgetter
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, ParseError, TokenError, UnsupportedError
from sqlglot.parser import Parser
from sqlglot.tokens import Token, Tokenizer, TokenType

from ..errors import MigrationError
from . import sqlite
from .model import Migration, SqlSource, Statement, canonical_dialect

__all__ = [
    "ApplyTimeStatement",
    "Note",
    "TranspileContext",
    "expand_at_apply",
    "for_dialect",
    "install_sqlite_functions",
    "prepare",
    "register_sqlite_functions",
    "split",
    "sqlite_rebuild_statements",
]

ROUTINES = frozenset({TokenType.TRIGGER, TokenType.FUNCTION, TokenType.PROCEDURE})
OPENERS = {TokenType.BEGIN, TokenType.CASE}
BLOCK_ENDS = {"IF", "LOOP", "WHILE", "REPEAT"}  # `END IF` closes no BEGIN we counted
_TOKEN_TYPE = attrgetter("token_type")
TRANSACTION = (exp.Transaction, exp.Commit, exp.Rollback)
NOT_STATEMENTS = (exp.Alias, exp.Column, exp.Identifier, exp.Literal, exp.Var, exp.Tuple)

# Opaque commands with no meaning on SQLite: first words -> reason.
MEANINGLESS_ON_SQLITE = {
    ("CREATE", "EXTENSION"): "SQLite has no extensions",
    ("DROP", "EXTENSION"): "SQLite has no extensions",
    ("ALTER", "EXTENSION"): "SQLite has no extensions",
    ("COMMENT", "ON"): "SQLite keeps no comments on objects",
    ("GRANT",): "SQLite has no privileges",
    ("REVOKE",): "SQLite has no privileges",
    ("CREATE", "POLICY"): "SQLite has no row security",
    ("DROP", "POLICY"): "SQLite has no row security",
    ("REFRESH", "MATERIALIZED"): "SQLite views are always fresh",
    ("ALTER", "SEQUENCE"): "SQLite has no sequences",
    ("VACUUM",): "maintenance, not schema",
    ("SET",): "SQLite has no session settings",
    ("RESET",): "SQLite has no session settings",
}
MEANINGLESS_CLAUSES = {
    "OWNER TO": "SQLite has no owners",
    "ROW LEVEL SECURITY": "SQLite has no row security",
}


@dataclass(frozen=True)
class Note:
    """A statement left out (`skipped`) or changed on purpose (`adjusted`) for a target."""

    statement: Statement
    target: str
    action: str  # "skipped" | "adjusted"
    reason: str

    def __str__(self) -> str:
        return f"{self.statement.where}: {self.action} on {self.target}: {self.reason}"


@dataclass
class TranspileContext:
    """What transpiling one history carries from file to file, and what it left out.

    Pass one context through every migration in order: enum types created in one file
    type the columns of later ones.
    """

    enums: dict[str, tuple[str, ...]] = field(default_factory=dict)
    notes: list[Note] = field(default_factory=list)

    @property
    def skipped(self) -> list[Note]:
        return [n for n in self.notes if n.action == "skipped"]


@dataclass(frozen=True)
class ApplyTimeStatement(Statement):
    """A SQLite ALTER that only `expand_at_apply` can turn into runnable SQL.

    `sql` is the transpiled ALTER TABLE (`expression` its tree), or the Postgres
    `ALTER TYPE ... ADD VALUE` as written (opaque): SQLite rejects either if run as it is,
    never silently.
    """


# --- splitting -----------------------------------------------------------------------------

def split(source: SqlSource, dialect: str) -> list[Statement]:
    """The statements of `source`, parsed in `dialect`, each with its line in the file.

    The file is tokenized once: each statement is parsed from its own slice of the file's
    tokens (`_own_tokens`), never tokenized again.
    """
    dialect = canonical_dialect(dialect)
    text = source.text
    tokens = _tokenize(source, dialect)
    statements = []
    with quiet_sqlglot():
        for chunk in _chunks(tokens):
            start, end = chunk[0].start, chunk[-1].end + 1
            line = source.first_line + text.count("\n", 0, start)
            sql = text[start:end]
            expression, opaque = _parse(sql, dialect, f"{source.path}:{line}",
                                        _own_tokens(chunk, text, dialect))
            statements.append(Statement(sql, source.path, line, sql, opaque,
                                        None if opaque else expression))
    return statements


def _dialect(name: str) -> sqlglot.Dialect:
    """One sqlglot Dialect per name (`get_or_raise` builds a new one on every call)."""
    dialect = _DIALECTS.get(name)
    if dialect is None:
        dialect = _DIALECTS[name] = sqlglot.Dialect.get_or_raise(name)
    return dialect


def _tools(name: str) -> tuple[Tokenizer, Parser]:
    """A tokenizer and a parser of dialect `name`, kept per thread: each `tokenize` and
    `parse` starts by resetting them, and building them costs more than a small file does."""
    tools = getattr(_TOOLS, name, None)
    if tools is None:
        dialect = _dialect(name)
        tools = (dialect.tokenizer(), dialect.parser())
        setattr(_TOOLS, name, tools)
    return tools


_DIALECTS: dict[str, sqlglot.Dialect] = {}
_TOOLS = threading.local()


def _tokenize(source: SqlSource, dialect: str) -> list[Token]:
    tokenizer = _tools(dialect)[0]
    try:
        return tokenizer.tokenize(source.text)
    except TokenError as exc:
        done = [t for t in tokenizer.tokens if t.token_type == TokenType.SEMICOLON]
        start = done[-1].end + 1 if done else 0
        start += len(source.text[start:]) - len(source.text[start:].lstrip())
        line = source.first_line + source.text.count("\n", 0, start)
        reason = str(exc.__cause__ or exc).splitlines()[0]
        raise MigrationError(f"{source.path}:{line}: cannot parse statement: "
                             f"{_short(source.text[start:])} ({reason})") from None


def _own_tokens(chunk: list[Token], text: str, dialect: str) -> tuple[list[Token], str]:
    """The tokens of one statement as if its text were tokenized alone, and the text
    their offsets index (the file's, or the statement's own on the fallback below).

    Inside a statement, the file's tokens are those of the statement alone; only a
    comment outside it can differ: sqlglot hangs a comment before a statement on its
    first token and one between its end and the `;` (or the end of the file) on its last,
    where the statement's own text (which starts at its first token and ends at its last)
    has none. So when the first or last token carries comments, each of the two gets the
    comments it has when only it and its neighbour in the statement are tokenized; if that
    pair does not tokenize to the same two tokens (a word sqlglot reads differently at a
    statement's start), the statement's text is tokenized alone, as it always was.
    """
    first, last = chunk[0], chunk[-1]
    if not first.comments and not last.comments:
        return chunk, text
    sql = text[first.start:last.end + 1]
    if len(chunk) > 1:
        tokenizer = _tools(dialect)[0]
        try:
            head = tokenizer.tokenize(text[first.start:chunk[1].end + 1])
            tail = head if len(chunk) == 2 else tokenizer.tokenize(
                text[chunk[-2].start:last.end + 1])
        except TokenError:
            head = tail = []
        if _same(head, chunk[:2]) and _same(tail, chunk[-2:]):
            own = list(chunk)
            own[0] = _with_comments(first, head[0].comments)
            own[-1] = _with_comments(last, tail[-1].comments)
            return own, text
    return _tools(dialect)[0].tokenize(sql), sql


def _same(alone: list[Token], tokens: list[Token]) -> bool:
    return len(alone) == len(tokens) and all(
        a.token_type == t.token_type and a.text == t.text
        for a, t in zip(alone, tokens, strict=True))


def _with_comments(token: Token, comments: list[str]) -> Token:
    if comments == token.comments:
        return token
    return Token(token.token_type, token.text, token.line, token.col, token.start, token.end,
                 list(comments))


def _chunks(tokens: list[Token]) -> Iterator[list[Token]]:
    """Tokens between top-level semicolons; BEGIN...END bodies of routines stay whole."""
    kinds = list(map(_TOKEN_TYPE, tokens))
    if ROUTINES.isdisjoint(kinds):  # no body anywhere: every semicolon ends a statement
        start, size = 0, len(kinds)
        while start < size:
            try:
                end = kinds.index(TokenType.SEMICOLON, start)
            except ValueError:
                end = size
            if end > start:
                yield tokens[start:end]
            start = end + 1
        return
    chunk: list[Token] = []
    depth = 0
    for token in tokens:
        kind = token.token_type
        if kind == TokenType.SEMICOLON and depth == 0:
            if chunk:
                yield chunk
            chunk = []
            continue
        # Only a CREATE of a routine has a body (the test on the kind first: it is cheaper).
        if chunk and chunk[0].token_type == TokenType.CREATE and (
                kind in OPENERS or kind == TokenType.END or token.text.upper() in BLOCK_ENDS):
            routine = any(t.token_type in ROUTINES for t in chunk[:8])
            if routine and kind in OPENERS:
                depth += 1
            elif routine and kind == TokenType.END:
                depth = max(depth - 1, 0)
            elif routine and chunk[-1].token_type == TokenType.END:
                depth += 1  # `END IF`: undo, that END closed an IF
        chunk.append(token)
    if chunk:
        yield chunk


@contextmanager
def quiet_sqlglot() -> Iterator[None]:
    """sqlglot logs a warning for every statement it keeps as a command: we report those
    ourselves (opaque statements, folds' notes), so its log would only repeat them."""
    logger = logging.getLogger("sqlglot")
    level = logger.level
    if level == logging.ERROR:  # quiet already (an outer block): setLevel clears caches
        yield
        return
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _parse(sql: str, dialect: str, where: str,
           tokens: tuple[list[Token], str] | None = None) -> tuple[exp.Expr | None, bool]:
    """(tree, opaque) for one statement; MigrationError when sqlglot cannot read it.

    `tokens`: the statement's tokens and the text their offsets index, when the caller
    has them (`split`); else `sql` is tokenized here.
    """
    try:
        with quiet_sqlglot():
            if tokens is None:
                trees = sqlglot.parse(sql, read=dialect)
            else:
                trees = _tools(dialect)[1].parse(*tokens)
            trees = [t for t in trees if t is not None]
    except ParseError as exc:
        raise MigrationError(f"{where}: cannot parse statement: {_short(sql)} "
                             f"({_reason(exc)})") from None
    if len(trees) != 1:  # a routine body sqlglot splits: keep the text whole
        return None, True
    tree = trees[0]
    if isinstance(tree, NOT_STATEMENTS) or (
            isinstance(tree, exp.Condition) and not isinstance(tree, exp.Query)):
        raise MigrationError(f"{where}: cannot parse statement: {_short(sql)} "
                             f"(not a statement; a typo in its first word?)")
    kind = str(tree.args.get("kind") or "").upper()
    opaque = isinstance(tree, exp.Command) or (
        isinstance(tree, exp.Create) and kind in ("TRIGGER", "FUNCTION", "PROCEDURE"))
    return tree, opaque


def _reason(exc: ParseError) -> str:
    error = exc.errors[0] if exc.errors else {}
    text = str(error.get("description") or exc).splitlines()[0]
    return re.sub(r"<Token token_type: [^,]*, text: (.*?), line: .*?>", r"'\1'", text)


def _short(sql: str, width: int = 80) -> str:
    flat = " ".join(sql.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


# --- statements for a target ----------------------------------------------------------------

def prepare(migration: Migration, direction: str, source: str, target: str,
            context: TranspileContext | None = None) -> list[Statement]:
    """Split and transpile one direction of one SQL migration, using its stand-in if any."""
    step = migration.up if direction == "up" else migration.down
    if not isinstance(step, SqlSource):
        return []
    target = canonical_dialect(target)
    stand_in = migration.stand_ins.get(target if direction == "up" else f"{target}:down")
    return for_dialect(split(step, source), source, target, context=context,
                       stand_in=split(stand_in, target) if stand_in is not None else None)


def for_dialect(statements: list[Statement], source: str, target: str, *,
                stand_in: list[Statement] | None = None,
                context: TranspileContext | None = None) -> list[Statement]:
    """The statements `target` runs for one file; notes and enums go to `context`.

    Same dialect (or a stand-in): the user's text as written. Otherwise: transpiled, with
    `expression` the target tree. Raises MigrationError naming file:line for a statement
    that cannot run on `target`.
    """
    source, target = canonical_dialect(source), canonical_dialect(target)
    context = context if context is not None else TranspileContext()
    out: list[Statement] = []
    for statement in statements:
        _learn(statement, context)
        if stand_in is None:
            if source == target:
                out.extend(_as_written(statement, target, context))
            else:
                out.extend(_transpiled(statement, target, context))
    if stand_in is not None:
        for statement in stand_in:
            out.extend(_as_written(statement, target, context))
    return out


def _learn(statement: Statement, context: TranspileContext) -> None:
    """Remember enum types, so later columns of that type get TEXT and a CHECK on SQLite."""
    added = _enum_value_added(statement)
    if added is not None and added[0] in context.enums:
        enum, value, position = added
        context.enums[enum] = tuple(
            sqlite.with_value(list(context.enums[enum]), value, position))
    tree = statement.expression
    kind = str(tree.args.get("kind") or "").upper() if tree is not None else ""
    if isinstance(tree, exp.Create) and kind == "TYPE":
        values = tree.expression
        if isinstance(values, exp.DataType) and values.this == exp.DataType.Type.ENUM:
            context.enums[tree.this.name.lower()] = tuple(v.name for v in values.expressions)
    elif isinstance(tree, exp.Drop) and kind == "TYPE":
        for table in tree.args.get("tables") or [tree.this]:
            if table is not None:
                context.enums.pop(table.name.lower(), None)


def _enum_value_added(statement: Statement) -> tuple[str, str, tuple[str, str] | None] | None:
    """(enum, value, (BEFORE|AFTER, neighbour)) of `ALTER TYPE e ADD VALUE 'v' ...`, else None.

    sqlglot keeps this statement as a command; its tokens still say what it does.
    """
    if not statement.opaque or statement.source_sql[:5].upper() != "ALTER":
        return None
    tokens = sqlglot.Dialect.get_or_raise("postgres").tokenize(statement.source_sql)
    strings = (TokenType.STRING, TokenType.HEREDOC_STRING)
    words = [None if t.token_type in strings else t.text.upper() for t in tokens]
    if words[:2] != ["ALTER", "TYPE"] or "ADD" not in words:
        return None
    add = words.index("ADD")
    values = [t.text for t in tokens[add:] if t.token_type in strings]
    if words[add + 1: add + 2] != ["VALUE"] or not values:
        return None
    where = next((w for w in words[add:] if w in ("BEFORE", "AFTER")), None)
    position = (where, values[1]) if where and len(values) > 1 else None
    return tokens[add - 1].text.lower(), values[0], position


def _note(context: TranspileContext, statement: Statement, target: str, action: str,
          reason: str) -> None:
    context.notes.append(Note(statement, target, action, reason))


def _as_written(statement: Statement, target: str,
                context: TranspileContext) -> list[Statement]:
    tree = statement.expression
    if isinstance(tree, TRANSACTION):
        _note(context, statement, target, "skipped",
              "the runner runs each migration in its own transaction")
        return []
    if target == "postgres" and isinstance(tree, (exp.Create, exp.Drop)) and tree.args.get(
            "concurrently"):
        # Postgres refuses CONCURRENTLY inside a transaction; the index is the same without.
        tokens = sqlglot.Dialect.get_or_raise(target).tokenize(statement.sql)
        cut = next(t for t in tokens if t.text.upper() == "CONCURRENTLY")
        sql = statement.sql[: cut.start] + statement.sql[cut.end + 1:].lstrip()
        _note(context, statement, target, "adjusted",
              "CONCURRENTLY dropped (it cannot run inside the migration's transaction)")
        return [Statement(sql, statement.path, statement.line, statement.source_sql,
                          expression=tree)]
    return [statement]


def _transpiled(statement: Statement, target: str,
                context: TranspileContext) -> list[Statement]:
    tree = statement.expression
    if isinstance(tree, TRANSACTION):
        return _as_written(statement, target, context)
    if statement.opaque and target == "sqlite" and _enum_value_added(statement):
        return [ApplyTimeStatement(statement.sql, statement.path, statement.line,
                                   statement.source_sql, opaque=True)]
    if statement.opaque:
        reason = _meaningless(statement.source_sql) if target == "sqlite" else None
        if reason is None:
            raise MigrationError(
                f"cannot run on {target}: {statement.where}: {_first_words(statement)} is a "
                f"{_opaque_kind(statement.source_sql)} sqlglot cannot transpile; add "
                f"{_stand_in_name(statement, target)} as a stand-in")
        _note(context, statement, target, "skipped", reason)
        return []
    try:
        if target != "sqlite":
            sql = tree.sql(dialect=target, unsupported_level=ErrorLevel.RAISE)
            return [Statement(sql, statement.path, statement.line, statement.source_sql,
                              expression=tree)]
        rewritten = sqlite.to_sqlite(tree, context.enums)
        out: list[Statement] = []
        for new in rewritten.trees:
            cls = ApplyTimeStatement if sqlite.needs_apply_time(new) else Statement
            sql = sqlite.generate(new, strict=cls is Statement)
            out.append(cls(sql, statement.path, statement.line,
                           statement.source_sql, expression=new))
    except sqlite.Skip as skip:
        _note(context, statement, target, "skipped", str(skip))
        return []
    except (sqlite.Unsupported, UnsupportedError) as exc:
        raise MigrationError(
            f"cannot run on {target}: {statement.where}: {_short(statement.source_sql, 60)}: "
            f"{str(exc).splitlines()[0]}; add {_stand_in_name(statement, target)} as a "
            f"stand-in") from None
    for reason in dict.fromkeys(rewritten.adjusted):
        _note(context, statement, target, "adjusted", reason)
    return out


def _meaningless(sql: str) -> str | None:
    words = tuple(w.upper() for w in sql.split()[:2])
    for prefix, reason in MEANINGLESS_ON_SQLITE.items():
        if words[: len(prefix)] == prefix:
            return reason
    flat = " ".join(sql.upper().split())
    if words[:1] == ("ALTER",):
        return next((r for clause, r in MEANINGLESS_CLAUSES.items() if clause in flat), None)
    return None


def _opaque_kind(sql: str) -> str:
    flat = " ".join(sql.upper().split())
    if flat.startswith("DO"):
        return "DO block"
    for word, kind in (("TRIGGER", "trigger"), ("PROCEDURE", "procedure"),
                       ("FUNCTION", "function"), ("DOMAIN", "domain")):
        if re.match(rf"CREATE (OR REPLACE )?(CONSTRAINT )?{word}\b", flat):
            return f"plpgsql {kind}" if "PLPGSQL" in flat and kind == "function" else kind
    return "statement"


def _first_words(statement: Statement, count: int = 3) -> str:
    words = statement.source_sql.split()[:count]
    return _short(" ".join(words), 60)


def _stand_in_name(statement: Statement, target: str) -> str:
    """`003_add_trigger.sql` -> `003_add_trigger.sqlite.sql`: the file discovery picks up."""
    name = statement.path.name
    stem = name[: -len(".sql")] if name.endswith(".sql") else name
    return f"{stem}.{target}.sql"


# --- apply time ----------------------------------------------------------------------------

def expand_at_apply(conn: Any, statement: Statement, target: str) -> list[str]:
    """The SQL to run for `statement` now: its `sql`, or a SQLite ALTER built for the table."""
    if isinstance(statement, ApplyTimeStatement) and canonical_dialect(target) == "sqlite":
        return sqlite_rebuild_statements(conn, statement)
    return [statement.sql]


def sqlite_rebuild_statements(conn: Any, statement: Statement) -> list[str]:
    """A SQLite ALTER TABLE form SQLite lacks, as statements for the table as it is now.

    `conn` is the SQLAlchemy Connection the migration runs on (inside its transaction);
    run the result on it straight away, in order. MigrationError names file:line.
    """
    try:
        added = _enum_value_added(statement)
        if added is not None:
            return sqlite.enum_value_statements(conn, *added)
        return sqlite.sqlite_rebuild_statements(conn, statement.expression)
    except (sqlite.Refused, sqlite.Unsupported) as exc:
        raise MigrationError(f"{statement.where}: sqlite refused the statement "
                             f"{_short(statement.source_sql)!r}: {exc}") from None


# --- SQLite functions the fix-ups rely on -----------------------------------------------------

def _now() -> str:
    """UTC, microseconds, space-separated: how SQLite and SQLAlchemy write timestamps."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")


def _regexp(pattern: str | None, value: Any, flags: int = 0) -> bool | None:
    if pattern is None or value is None:
        return None
    return re.search(pattern, str(value), flags) is not None


def register_sqlite_functions(dbapi_connection: sqlite3.Connection) -> None:
    """Postgres functions the transpiled SQL calls (defaults, CHECKs), on one connection."""
    # 32 hex digits, as SQLAlchemy's Uuid stores and binds them on SQLite: a row whose id
    # the database made must be found by an ORM that binds uuid.UUID values.
    dbapi_connection.create_function("gen_random_uuid", 0, lambda: uuid.uuid4().hex)
    dbapi_connection.create_function("uuid_generate_v4", 0, lambda: uuid.uuid4().hex)
    dbapi_connection.create_function("now", 0, _now)
    # `x REGEXP p` calls regexp(p, x); Postgres `~*` becomes REGEXP_I_LIKE(x, p).
    dbapi_connection.create_function("regexp", 2, _regexp, deterministic=True)
    dbapi_connection.create_function(
        "regexp_i_like", 2, lambda value, pattern: _regexp(pattern, value, re.IGNORECASE),
        deterministic=True)


def install_sqlite_functions(engine: Any) -> None:
    """Register the functions, and turn foreign keys on, on every connection of `engine`."""
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        register_sqlite_functions(dbapi_connection)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

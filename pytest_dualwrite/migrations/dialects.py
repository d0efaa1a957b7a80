"""SQL text to statements, and statements to the SQL each backend runs.

`split` (splitter.py) cuts a migration into statements and parses each one; what sqlglot
cannot read runs as written on its own dialect and is refused, naming file:line, where it
would need transpiling. `for_dialect` then gives what a target runs: the user's own text on the
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

from dataclasses import dataclass, field
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, UnsupportedError
from sqlglot.tokens import TokenType

from ..errors import MigrationError
from . import sqlite
from .model import Migration, SqlSource, Statement, canonical_dialect
from .splitter import _short, control, quiet_sqlglot, split
from .sqlite.functions import install_sqlite_functions, register_sqlite_functions
from .sqlite.identity import identity_added, identity_statements
from .sqlite.inline import inline, sql_function

__all__ = [
    "ApplyTimeStatement",
    "Note",
    "TranspileContext",
    "expand_at_apply",
    "for_dialect",
    "install_sqlite_functions",
    "prepare",
    "quiet_sqlglot",
    "register_sqlite_functions",
    "split",
    "sqlite_rebuild_statements",
]

TRANSACTION = (exp.Transaction, exp.Commit, exp.Rollback)


@dataclass(frozen=True)
class Note:
    """A statement left out (`skipped`), changed on purpose (`adjusted`) or run without
    sqlglot reading it (`unread`) on a target.

    `lossy`: skipping it can change what rows hold (a trigger, a DO block); `tables` are
    the tables it touches, so a spec on them knows its result on that target is partial.
    """

    statement: Statement
    target: str
    action: str  # "skipped" | "adjusted" | "unread"
    reason: str
    lossy: bool = False
    tables: tuple[str, ...] = ()

    def __str__(self) -> str:
        action = "run unread" if self.action == "unread" else self.action
        return f"{self.statement.where}: {action} on {self.target}: {self.reason}"


@dataclass
class TranspileContext:
    """What transpiling one history carries from file to file, and what it left out.

    Pass one context through every migration in order: enum types created in one file
    type the columns of later ones.
    """

    enums: dict[str, tuple[str, ...]] = field(default_factory=dict)
    notes: list[Note] = field(default_factory=list)
    routines: dict[str, tuple[str, ...]] = field(default_factory=dict)  # skipped -> tables
    materialized: set[str] = field(default_factory=set)  # views, on SQLite plain ones
    functions: dict[str, exp.Expr] = field(default_factory=dict)  # inlined on SQLite

    @property
    def skipped(self) -> list[Note]:
        return [n for n in self.notes if n.action == "skipped"]

    @property
    def listed(self) -> list[Note]:
        """What a report lists: statements skipped, and statements run unread."""
        return [n for n in self.notes if n.action in ("skipped", "unread")]


@dataclass(frozen=True)
class ApplyTimeStatement(Statement):
    """A SQLite ALTER that only `expand_at_apply` can turn into runnable SQL.

    `sql` is the transpiled ALTER TABLE (`expression` its tree), or the Postgres
    `ALTER TYPE ... ADD VALUE` as written (opaque): SQLite rejects either if run as it is,
    never silently.
    """


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
    function = sql_function(statement.source_sql) if statement.opaque else None
    if function is not None:
        context.functions[function[0]] = function[1]
    if isinstance(tree, exp.Create) and kind == "TYPE":
        values = tree.expression
        if isinstance(values, exp.DataType) and values.this == exp.DataType.Type.ENUM:
            context.enums[tree.this.name.lower()] = tuple(v.name for v in values.expressions)
    elif isinstance(tree, exp.Create) and kind == "VIEW" and tree.find(exp.MaterializedProperty):
        context.materialized.add(tree.this.name.lower())
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


def _constraint_using_index(statement: Statement) -> tuple[str, str] | None:
    if not statement.opaque or "USING" not in statement.source_sql.upper():
        return None
    return sqlite.constraint_using_index(statement.source_sql.rstrip("; \n").split())


def _note(context: TranspileContext, statement: Statement, target: str, action: str,
          reason: str, lossy: bool = False, tables: tuple[str, ...] = ()) -> None:
    last = context.notes[-1] if context.notes else None
    if action == "unread" and last is not None and last.action == action and (
            last.reason == reason and last.statement.path == statement.path):
        return  # a file too large to parse: one note for all its statements
    context.notes.append(Note(statement, target, action, reason, lossy, tables))


def _as_written(statement: Statement, target: str,
                context: TranspileContext) -> list[Statement]:
    tree = statement.expression
    if isinstance(tree, TRANSACTION):
        _note(context, statement, target, "skipped",
              "the runner runs each migration in its own transaction")
        return []
    if statement.unreadable:
        _note(context, statement, target, "unread",
              f"sqlglot cannot read it ({statement.unreadable}); the server judges it")
        return [statement]
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
    skip = _skip_on_sqlite(statement, context) if target == "sqlite" else None
    if statement.unreadable and skip is None:
        raise MigrationError(
            f"cannot run on {target}: {statement.where}: cannot parse statement: "
            f"{_short(statement.source_sql)} ({statement.unreadable}); add "
            f"{_stand_in_name(statement, target)} as a stand-in")
    if control(statement.source_sql.upper().split()[:3]) == "savepoint":
        return [statement]  # SAVEPOINT, RELEASE, ROLLBACK TO: spelled alike everywhere
    if statement.opaque and target == "sqlite" and (
            _enum_value_added(statement) or _constraint_using_index(statement)
            or identity_added(statement.source_sql)):
        return [ApplyTimeStatement(statement.sql, statement.path, statement.line,
                                   statement.source_sql, opaque=True)]
    if statement.opaque:
        if skip is None:
            raise MigrationError(
                f"cannot run on {target}: {statement.where}: {_first_words(statement)} is a "
                f"{_opaque_kind(statement.source_sql)} sqlglot cannot transpile; add "
                f"{_stand_in_name(statement, target)} as a stand-in")
        if skip.routine:
            context.routines[skip.routine] = skip.tables
        reason = skip.reason
        if sql_function(statement.source_sql) is not None:
            reason += "; its calls are inlined (one SQL expression)"
        _note(context, statement, target, "skipped", reason, skip.lossy,
              skip.tables if skip.lossy else ())
        return []
    try:
        if target != "sqlite":
            tree = _blob_defaults(tree) if target == "postgres" else tree
            sql = tree.sql(dialect=target, unsupported_level=ErrorLevel.RAISE)
            return [Statement(sql, statement.path, statement.line, statement.source_sql,
                              expression=tree)]
        if isinstance(tree, exp.Create) and isinstance(tree.this, exp.Index) and (
                tree.this.args["table"].name.lower() in context.materialized):
            raise sqlite.Skip("SQLite cannot index a view (a materialized view is a plain "
                              "view there)")
        rewritten = sqlite.to_sqlite(inline(tree, context.functions), context.enums)
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


def _blob_defaults(tree: exp.Expr) -> exp.Expr:
    """SQLite's `blob DEFAULT (json('{}'))` keeps JSON text in a BLOB column; Postgres
    (BYTEA) takes the text itself, not a json value (river's SQLite history)."""
    import json

    for column in tree.find_all(exp.ColumnDef):
        kind = column.args.get("kind")
        if not isinstance(kind, exp.DataType) or kind.this not in (
                exp.DataType.Type.VARBINARY, exp.DataType.Type.BLOB):
            continue
        for default in column.find_all(exp.DefaultColumnConstraint):
            value = default.this.unnest() if isinstance(default.this, exp.Paren) else default.this
            text = value.expressions[0] if isinstance(value, exp.Anonymous) and (
                value.name.lower() == "json" and len(value.expressions) == 1) else None
            if isinstance(text, exp.Literal) and text.is_string:
                try:
                    minified = json.dumps(json.loads(text.name), separators=(",", ":"))
                except ValueError:
                    continue
                default.set("this", exp.Literal.string(minified))
    return tree


def _skip_on_sqlite(statement: Statement, context: TranspileContext) -> Any:
    """Why SQLite skips an opaque or unreadable statement (`sqlite.Unrunnable`), or None."""
    from sqlglot.errors import TokenError

    if not statement.opaque:
        return None
    try:
        tokens = sqlglot.Dialect.get_or_raise("postgres").tokenize(statement.source_sql)
    except TokenError:
        return None
    return sqlite.classify(tokens, context.routines)


def _opaque_kind(sql: str) -> str:
    import re

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
        using = _constraint_using_index(statement)
        if using is not None:
            return sqlite.index_as_constraint(conn, *using)
        identity = identity_added(statement.source_sql)
        if identity is not None:
            return identity_statements(conn, *identity)
        return sqlite.sqlite_rebuild_statements(conn, statement.expression)
    except (sqlite.Refused, sqlite.Unsupported) as exc:
        raise MigrationError(f"{statement.where}: sqlite refused the statement "
                             f"{_short(statement.source_sql)!r}: {exc}") from None

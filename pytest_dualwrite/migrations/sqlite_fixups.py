"""Postgres (or MySQL) statements made to run on SQLite, where sqlglot 30.30 alone gets it wrong.

Two halves, both working on sqlglot's expression tree:

* `to_sqlite(tree, enums)` rewrites one parsed statement into the SQLite statements that
  mean the same (types SQLite and SQLAlchemy read right, defaults in parentheses, SERIAL as
  the rowid, no NULLS LAST in indexes, ...), or says why it has no meaning (`Skip`) or no
  SQLite form (`Unsupported`).
* `sqlite_rebuild_statements(conn, alter)` does the ALTER TABLE forms SQLite lacks. They
  need the table's current definition, so they run at apply time. A change that keeps the
  table's on-disk layout (NOT NULL, DEFAULT, CHECK, FOREIGN KEY, a type of the same
  affinity) rewrites the stored CREATE TABLE in place, SQLite's documented
  `writable_schema` procedure, after checking existing rows as Postgres would. A layout
  change (PRIMARY KEY, inline UNIQUE) rebuilds the table; that needs foreign keys off,
  which SQLite cannot do inside the migration's transaction, so a table other tables
  reference is refused with a clear error instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.dialects.sqlite import SQLite
from sqlglot.errors import ErrorLevel, ParseError, UnsupportedError
from sqlglot.generators.sqlite import SQLiteGenerator

DT = exp.DataType.Type


class Skip(Exception):
    """A statement with no meaning on SQLite (GRANT, COMMENT ON...); str() is the reason."""


class Unsupported(Exception):
    """A statement SQLite cannot express; str() says why (the caller adds file:line)."""


class DualwriteSQLite(SQLite):
    """SQLite as we write it: declared types kept where SQLite and SQLAlchemy read them right.

    sqlglot's SQLite generator turns BOOLEAN, BIGINT and VARCHAR(255) into INTEGER/TEXT and
    NUMERIC into REAL (different affinity); reflection then no longer matches the models.
    UUID becomes CHAR(36): a name without CHAR/TEXT gets NUMERIC affinity, which turns an
    all-digit hex string into a number.
    """

    class Generator(SQLiteGenerator):
        TYPE_MAPPING = {
            **SQLiteGenerator.TYPE_MAPPING,
            DT.BOOLEAN: "BOOLEAN",
            DT.SMALLINT: "SMALLINT",
            DT.BIGINT: "BIGINT",
            DT.DECIMAL: "NUMERIC",
            DT.CHAR: "CHAR",
            DT.NCHAR: "NCHAR",
            DT.VARCHAR: "VARCHAR",
            DT.NVARCHAR: "NVARCHAR",
            DT.UUID: "CHAR(36)",
            DT.JSONB: "JSON",
            DT.TIMESTAMPTZ: "TIMESTAMP",
            DT.TIMESTAMPLTZ: "TIMESTAMP",
            DT.TIMETZ: "TIME",
        }
        TRANSFORMS = {
            **SQLiteGenerator.TRANSFORMS,
            # sqlglot reads gen_random_uuid() as UUID(), which SQLite does not have
            exp.Uuid: lambda *_: "GEN_RANDOM_UUID()",
        }


def generate(tree: exp.Expr, strict: bool = True) -> str:
    """SQLite text for a tree; anything sqlglot would silently drop raises Unsupported.

    `strict=False` is for apply-time ALTERs, whose text is only shown, never run.
    """
    level = ErrorLevel.RAISE if strict else ErrorLevel.IGNORE
    try:
        return tree.sql(dialect=DualwriteSQLite, unsupported_level=level)
    except UnsupportedError as exc:
        raise Unsupported(str(exc).splitlines()[0]) from None


# --- statement rewrites --------------------------------------------------------------------

SERIALS = {DT.SERIAL, DT.BIGSERIAL, DT.SMALLSERIAL}
TIMESTAMPS = {DT.TIMESTAMP, DT.TIMESTAMPTZ, DT.TIMESTAMPLTZ, DT.DATETIME}
TEXTS = {DT.TEXT, DT.VARCHAR, DT.CHAR, DT.NVARCHAR, DT.NCHAR}
NOW_FUNCTIONS = {"clock_timestamp", "statement_timestamp", "transaction_timestamp"}
RENAMED_FUNCTIONS = {
    "jsonb_build_object": "json_object", "json_build_object": "json_object",
    "jsonb_build_array": "json_array", "json_build_array": "json_array",
    "jsonb_array_length": "json_array_length", "jsonb_typeof": "json_type",
}
UTC_NAMES = {"utc", "etc/utc", "gmt", "z", "+00", "+00:00"}
SQLITE_COLLATIONS = {"BINARY", "NOCASE", "RTRIM"}
ALTER_ACTIONS = (exp.ColumnDef, exp.AlterColumn, exp.AddConstraint, exp.Drop,
                 exp.RenameColumn, exp.AlterRename)
ENUM_CHECK_SUFFIX = "_enum"  # names the CHECK that stands in for a Postgres enum type


@dataclass
class Rewritten:
    """SQLite statements for one source statement, and what was changed on purpose."""

    trees: list[exp.Expr]
    adjusted: list[str] = field(default_factory=list)


def to_sqlite(tree: exp.Expr, enums: Mapping[str, tuple[str, ...]]) -> Rewritten:
    """The SQLite statements meaning `tree`; raises Skip or Unsupported."""
    return _Fixer(enums).statement(tree.copy())


def needs_apply_time(tree: exp.Expr) -> bool:
    """True for an ALTER TABLE that `sqlite_rebuild_statements` must expand at apply time."""
    if not isinstance(tree, exp.Alter) or len(tree.args.get("actions") or []) != 1:
        return False
    action = tree.args["actions"][0]
    if tree.args.get("exists") or action.args.get("exists"):
        return True
    if isinstance(action, exp.ColumnDef):
        return not _native_add_column(action)
    return not isinstance(action, (exp.RenameColumn, exp.AlterRename))


class _Fixer:
    def __init__(self, enums: Mapping[str, tuple[str, ...]]) -> None:
        self.enums = enums
        self.adjusted: list[str] = []

    def statement(self, tree: exp.Expr) -> Rewritten:
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
        trees: list[exp.Expr] = [tree]
        if isinstance(tree, exp.Create) and kind == "TABLE":
            trees += self.create_table(tree)
        if isinstance(tree, exp.Create) and kind == "INDEX":
            self.create_index(tree)
        elif isinstance(tree, exp.Create) and kind == "VIEW":
            trees = self.create_view(tree)
        elif isinstance(tree, exp.Drop):
            for arg in ("cascade", "concurrently"):
                if tree.args.get(arg):
                    tree.set(arg, False)
                    self.adjusted.append(f"{arg.upper()} dropped (SQLite has no such option)")
        elif isinstance(tree, exp.TruncateTable):
            self.adjusted.append("TRUNCATE becomes DELETE FROM")
            trees = [exp.Delete(this=t) for t in tree.expressions]
        elif isinstance(tree, exp.Alter):
            trees = self.alter(tree)
        trees = [t.transform(self.expression) for t in trees]
        for t in trees:
            for default in t.find_all(exp.DefaultColumnConstraint):
                _parenthesize_default(default)
        return Rewritten(trees, self.adjusted)

    # --- tables and columns ----------------------------------------------------------------
    def create_table(self, tree: exp.Create) -> list[exp.Expr]:
        """Fix a CREATE TABLE in place; returns the CREATE INDEXes of MySQL's inline KEYs."""
        props = tree.args.get("properties")
        if props is not None:
            kept = [p for p in props.expressions if isinstance(p, exp.TemporaryProperty)]
            for p in props.expressions:
                if p not in kept:
                    self.adjusted.append(f"table option {p.sql('postgres')} dropped")
            tree.set("properties", exp.Properties(expressions=kept) if kept else None)
        schema = tree.this
        if not isinstance(schema, exp.Schema):
            return []
        table = schema.this.name
        indexes = [self.inline_index(table, node) for node in list(schema.expressions)
                   if isinstance(node, exp.IndexColumnConstraint)]
        for node in schema.expressions:
            named = node.this if isinstance(node, exp.UniqueColumnConstraint) else None
            if isinstance(named, exp.Schema) and named.this is not None:  # UNIQUE KEY name (..)
                node.replace(exp.Constraint(this=named.this, expressions=[
                    exp.UniqueColumnConstraint(this=exp.Schema(expressions=named.expressions))]))
        table_pk = next((c for c in schema.expressions if _table_pk_columns(c)), None)
        pk_columns = _table_pk_columns(table_pk) if table_pk is not None else []
        for column in schema.find_all(exp.ColumnDef):
            in_table_pk = pk_columns == [column.name.lower()]
            if self.column(column, table, in_table_pk):
                if in_table_pk:
                    table_pk.pop()  # type: ignore[union-attr]  # now on the column itself
                continue
            kinds = [c.kind for c in column.constraints]
            if (column.name.lower() in pk_columns or any(
                    isinstance(k, exp.PrimaryKeyColumnConstraint) for k in kinds)) and not any(
                    _not_null(k) for k in kinds):
                # Postgres keys are NOT NULL; SQLite lets NULL into a non-INTEGER key
                column.append("constraints",
                              exp.ColumnConstraint(kind=exp.NotNullColumnConstraint()))
        return indexes

    def inline_index(self, table: str, node: exp.IndexColumnConstraint) -> exp.Expr:
        """MySQL's `KEY name (cols)` inside CREATE TABLE, as SQLite's CREATE INDEX."""
        node.pop()
        columns = [exp.Ordered(this=c.copy(), nulls_first=True) for c in node.expressions]
        name = node.name or f"{table}_{'_'.join(c.name for c in node.expressions)}_idx"
        return exp.Create(kind="INDEX", this=exp.Index(
            this=exp.to_identifier(name), table=exp.to_table(table),
            params=exp.IndexParameters(columns=columns)))

    def column(self, column: exp.ColumnDef, table: str, in_table_pk: bool = False) -> bool:
        """Fix one column definition; True when it became INTEGER PRIMARY KEY AUTOINCREMENT."""
        kind: exp.DataType | None = column.args.get("kind")
        constraints = [c for c in column.constraints if isinstance(c, exp.ColumnConstraint)]
        kinds = [c.kind for c in constraints]
        is_pk = in_table_pk or any(isinstance(k, exp.PrimaryKeyColumnConstraint) for k in kinds)
        counts = (kind is not None and kind.this in SERIALS) or any(
            isinstance(k, exp.AutoIncrementColumnConstraint)
            or (isinstance(k, exp.GeneratedAsIdentityColumnConstraint) and k.expression is None)
            for k in kinds)
        if counts:
            if not is_pk:
                raise Unsupported(
                    f"column {column.name} numbers itself but is not the primary key; SQLite "
                    f"can only autoincrement an INTEGER PRIMARY KEY")
            name = next((c.this for c in constraints
                         if isinstance(c.kind, exp.PrimaryKeyColumnConstraint)), None)
            keep = [c for c in constraints if not isinstance(c.kind, (
                exp.PrimaryKeyColumnConstraint, exp.AutoIncrementColumnConstraint,
                exp.GeneratedAsIdentityColumnConstraint, exp.NotNullColumnConstraint))]
            column.set("kind", exp.DataType.build("INT"))
            column.set("constraints", [
                exp.ColumnConstraint(this=name, kind=exp.PrimaryKeyColumnConstraint()),
                exp.ColumnConstraint(kind=exp.AutoIncrementColumnConstraint()), *keep])
            return True
        if kind is not None:
            column.set("kind", self.column_type(column, kind))
        for c in constraints:
            if isinstance(c.kind, exp.OnUpdateColumnConstraint):
                self.adjusted.append(f"ON UPDATE of column {column.name} dropped (SQLite has "
                                     f"none; write a trigger in a stand-in if it matters)")
                c.pop()
            elif isinstance(c.kind, exp.CollateColumnConstraint):
                self.collation(c)
            elif isinstance(c.kind, exp.DefaultColumnConstraint):
                self.default(column, kind, c.kind)
        return False

    def column_type(self, column: exp.ColumnDef, kind: exp.DataType) -> exp.DataType:
        name = ""
        if kind.this == DT.USERDEFINED and kind.args.get("kind"):
            name = str(kind.args["kind"].name if isinstance(kind.args["kind"], exp.Expr)
                       else kind.args["kind"]).lower()
        values = [v.name for v in kind.expressions] if kind.this == DT.ENUM else (
            self.enums.get(name))
        if values is not None:  # a Postgres enum type, or MySQL's inline ENUM(...)
            check = exp.In(this=exp.column(column.name, quoted=True),
                           expressions=[exp.Literal.string(v) for v in values])
            column.append("constraints", exp.ColumnConstraint(
                this=exp.to_identifier(f"{name or column.name}{ENUM_CHECK_SUFFIX}"),
                kind=exp.CheckColumnConstraint(this=check)))
            return exp.DataType.build("TEXT")
        if kind.this == DT.USERDEFINED:
            if name == "citext":
                column.append("constraints", exp.ColumnConstraint(
                    kind=exp.CollateColumnConstraint(this=exp.var("NOCASE"))))
            else:
                self.adjusted.append(f"type {name} becomes TEXT")
            return exp.DataType.build("TEXT")
        if kind.is_type(DT.ARRAY) or kind.args.get("nested"):
            self.adjusted.append(f"array column {column.name} holds JSON text")
            return exp.DataType.build("JSON")
        return kind

    def collation(self, constraint: exp.ColumnConstraint) -> None:
        name = constraint.kind.this.name.upper()
        if name in ("C", "POSIX"):
            constraint.kind.set("this", exp.var("BINARY"))
        elif name not in SQLITE_COLLATIONS:
            self.adjusted.append(f"collation {name} dropped (SQLite has BINARY, NOCASE, RTRIM)")
            constraint.pop()

    def default(self, column: exp.ColumnDef, kind: exp.DataType | None,
                default: exp.DefaultColumnConstraint) -> None:
        value = default.this
        _refuse_sequence(column.name, value)
        if kind is not None and kind.this == DT.BOOLEAN and isinstance(value, exp.Literal):
            if value.is_string and value.name.lower() in ("t", "true", "y", "yes", "on", "1"):
                default.set("this", exp.true())
            elif value.is_string and value.name.lower() in ("f", "false", "n", "no", "off", "0"):
                default.set("this", exp.false())
        elif kind is not None and (kind.is_type(DT.ARRAY) or kind.args.get("nested")):
            if (isinstance(value, exp.Literal) and value.name == "{}") or (
                    isinstance(value, exp.Cast) and isinstance(value.this, exp.Array)
                    and not value.this.expressions):
                default.set("this", exp.Literal.string("[]"))

    # --- indexes, views, ALTER -------------------------------------------------------------
    def create_index(self, tree: exp.Create) -> None:
        if tree.args.get("concurrently"):
            tree.set("concurrently", False)
            self.adjusted.append("CONCURRENTLY dropped")
        params = tree.this.args.get("params")
        if params is None:
            return
        for arg in ("using", "include", "with_storage", "tablespace"):
            if params.args.get(arg):
                self.adjusted.append(f"index {arg.upper().replace('_', ' ')} clause dropped")
                params.set(arg, None)
        for ordered in params.args.get("columns") or []:
            prefix = ordered.this
            if isinstance(prefix, exp.Anonymous) and len(prefix.expressions) == 1 and (
                    isinstance(prefix.expressions[0], exp.Literal)
                    and not prefix.expressions[0].is_string):  # MySQL `col(20)`
                self.adjusted.append(f"prefix length of index column {prefix.name} dropped")
                ordered.set("this", exp.column(prefix.name))
        for opclass in params.find_all(exp.Opclass):
            self.adjusted.append(f"operator class {opclass.expression.name} dropped")
            opclass.replace(opclass.this)

    def create_view(self, tree: exp.Create) -> list[exp.Expr]:
        props = tree.args.get("properties")
        if props is not None and props.find(exp.MaterializedProperty):
            self.adjusted.append("materialized view becomes a plain view (always fresh)")
            tree.set("properties", None)
        if not tree.args.get("replace"):
            return [tree]
        tree.set("replace", False)
        drop = exp.Drop(tables=[tree.this.copy()], kind="VIEW", exists=True)
        return [drop, tree]

    def alter(self, tree: exp.Alter) -> list[exp.Expr]:
        """One ALTER per action (SQLite takes one); column types fixed like CREATE TABLE's."""
        if str(tree.args.get("kind") or "").upper() != "TABLE":
            return [tree]
        tree.set("only", False)
        out: list[exp.Expr] = []
        table = tree.this.name
        for action in tree.args.get("actions") or []:
            if not isinstance(action, ALTER_ACTIONS):
                raise Unsupported(f"SQLite has no form of this ALTER TABLE action "
                                  f"({action.key.upper()})")
            if isinstance(action, exp.ColumnDef):
                self.column(action, table)
            elif isinstance(action, exp.AlterColumn) and action.args.get("dtype") is not None:
                out.extend(self.alter_type(tree, action))
                continue
            elif isinstance(action, exp.AlterColumn) and action.args.get("default"):
                _refuse_sequence(action.name, action.args["default"])
            single = tree.copy()
            single.set("actions", [action.copy()])
            out.append(single)
        return out

    def alter_type(self, tree: exp.Alter, action: exp.AlterColumn) -> list[exp.Expr]:
        """ALTER COLUMN TYPE; to an enum it is TYPE TEXT plus the enum's CHECK."""
        probe = exp.ColumnDef(this=action.this.copy(), kind=action.args["dtype"].copy())
        new_type = self.column_type(probe, action.args["dtype"])
        action = action.copy()
        action.set("dtype", new_type)
        actions: list[exp.Expr] = [action]
        for c in probe.constraints:  # the enum CHECK, as a named table constraint
            actions.append(exp.AddConstraint(expressions=[
                exp.Constraint(this=c.this, expressions=[c.kind])]))
        out: list[exp.Expr] = []
        for a in actions:
            single = tree.copy()
            single.set("actions", [a])
            out.append(single)
        return out

    # --- any expression --------------------------------------------------------------------
    def expression(self, node: exp.Expr) -> exp.Expr:
        """Per-node fixes for every statement, DDL or DML."""
        new = self.fix(node)
        # transform() does not descend into a replacement: fix its insides here.
        return node if new is node else new.transform(self.expression, copy=False)

    def fix(self, node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Table) and node.text("db").lower() == "public":
            node.set("db", None)
        elif isinstance(node, exp.ByteString):  # Postgres E'...': escapes already decoded
            return exp.Literal.string(node.name)
        elif isinstance(node, exp.Uuid):
            return exp.Anonymous(this="gen_random_uuid", expressions=[])
        elif isinstance(node, (exp.CurrentTimestamp, exp.Localtimestamp)) or (
                isinstance(node, exp.Anonymous) and node.name.lower() in NOW_FUNCTIONS):
            return exp.Anonymous(this="now", expressions=[])
        elif isinstance(node, exp.Anonymous) and node.name.lower() in RENAMED_FUNCTIONS:
            return exp.Anonymous(this=RENAMED_FUNCTIONS[node.name.lower()],
                                 expressions=node.expressions)
        elif isinstance(node, exp.Anonymous) and node.name.lower() == "timezone":
            zone, value = [*node.expressions, None, None][:2]
            if isinstance(zone, exp.Literal) and zone.name.lower() in UTC_NAMES and value:
                return value
        elif isinstance(node, exp.AtTimeZone):
            zone = node.args.get("zone")
            if isinstance(zone, exp.Literal) and zone.name.lower() in UTC_NAMES:
                return node.this  # SQLite times are UTC already
        elif isinstance(node, (exp.Add, exp.Sub)) and _interval(node.expression):
            return _shift(node)
        elif isinstance(node, exp.Cast):
            return _cast(node)
        elif isinstance(node, exp.Array):
            if not node.expressions:
                return exp.Literal.string("[]")
            return exp.Anonymous(this="json_array", expressions=node.expressions)
        elif isinstance(node, exp.EQ) and isinstance(node.expression, exp.Any):
            items = _array_items(node.expression.this)
            if items is not None:
                return exp.In(this=node.this, expressions=items)
        elif isinstance(node, exp.Ordered) and not isinstance(node.parent, exp.Order):
            node.set("nulls_first", not node.args.get("desc"))  # index/ON CONFLICT: no NULLS
        elif isinstance(node, exp.DataType) and not isinstance(node.parent, exp.ColumnDef):
            if node.this == DT.USERDEFINED:
                return exp.DataType.build("TEXT")
            if node.is_type(DT.ARRAY) or node.args.get("nested"):
                return exp.DataType.build("JSON")
        return node


def _refuse_sequence(column: str, default: exp.Expr) -> None:
    if any(f.name.lower() == "nextval" for f in default.find_all(exp.Anonymous)):
        raise Unsupported(f"column {column} takes its DEFAULT from a sequence; SQLite has "
                          f"none (use SERIAL or IDENTITY on the primary key)")


def _cast(node: exp.Cast) -> exp.Expr:
    to = node.to
    value = node.this
    literal = isinstance(value, exp.Literal) and value.is_string
    if to.this in (DT.JSON, DT.JSONB):
        return value if literal else exp.Anonymous(this="json", expressions=[value])
    if literal and to.this in TIMESTAMPS and value.name.lower() == "now":
        return exp.Anonymous(this="now", expressions=[])
    if literal and to.this in TEXTS:
        return value
    if to.is_type(DT.ARRAY) or to.args.get("nested"):
        return value
    return node


INTERVAL_UNITS = {"year": "years", "mon": "months", "month": "months", "week": "weeks",
                  "day": "days", "hour": "hours", "min": "minutes", "minute": "minutes",
                  "sec": "seconds", "second": "seconds"}


def _interval(node: exp.Expr) -> list[tuple[float, str]] | None:
    """[(amount, sqlite unit)] of `interval '1 day 2 hours'` or `'3 weeks'::interval`."""
    if isinstance(node, exp.Interval):
        text = f"{node.name} {node.text('unit')}"
    elif isinstance(node, exp.Cast) and node.to.this == DT.INTERVAL and node.this.is_string:
        text = node.this.name
    else:
        return None
    words = text.lower().split()
    if not words or len(words) % 2:
        return None
    parts = []
    for amount, word in zip(words[::2], words[1::2], strict=True):
        unit = INTERVAL_UNITS.get(word.rstrip("s"))
        try:
            number = float(amount)
        except ValueError:
            return None
        if unit is None:
            return None
        parts.append((number * 7, "days") if unit == "weeks" else (number, unit))
    return parts


def _shift(node: exp.Add | exp.Sub) -> exp.Expr:
    """`t - interval '1 day'` as SQLite date arithmetic, in the format now() writes."""
    sign = -1 if isinstance(node, exp.Sub) else 1
    modifiers = [exp.Literal.string(f"{sign * n:+g} {unit}")
                 for n, unit in _interval(node.expression) or []]
    return exp.Anonymous(this="strftime", expressions=[
        exp.Literal.string("%Y-%m-%d %H:%M:%f000"), node.this, *modifiers])


def _array_items(node: exp.Expr | None) -> list[exp.Expr] | None:
    """The elements of `ARRAY[...]`, under any parentheses and casts pg_dump puts around it."""
    while isinstance(node, (exp.Paren, exp.Cast)):
        node = node.this
    return list(node.expressions) if isinstance(node, exp.Array) else None


def _is_simple_default(value: exp.Expr) -> bool:
    if isinstance(value, exp.Neg):
        value = value.this
    return isinstance(value, (exp.Literal, exp.Null, exp.Boolean, exp.Paren, exp.CurrentDate,
                              exp.CurrentTime))


def _parenthesize_default(default: exp.DefaultColumnConstraint) -> None:
    """SQLite takes a literal or `(expr)` after DEFAULT, never a bare function call."""
    if not _is_simple_default(default.this):
        default.set("this", exp.Paren(this=default.this))


def _table_pk_columns(node: exp.Expr) -> list[str]:
    if isinstance(node, exp.Constraint):
        node = next((e for e in node.expressions if isinstance(e, exp.PrimaryKey)), node)
    if not isinstance(node, exp.PrimaryKey):
        return []
    return [e.name.lower() for e in node.expressions]


def _native_add_column(column: exp.ColumnDef) -> bool:
    """Whether SQLite's own ADD COLUMN takes this definition as Postgres means it."""
    kinds = [c.kind for c in column.constraints if isinstance(c, exp.ColumnConstraint)]
    if any(isinstance(k, (exp.PrimaryKeyColumnConstraint, exp.UniqueColumnConstraint,
                          exp.ComputedColumnConstraint)) for k in kinds):
        return False
    default = next((k.this for k in kinds if isinstance(k, exp.DefaultColumnConstraint)), None)
    if default is not None and not isinstance(default, (exp.Literal, exp.Boolean, exp.Neg)):
        return False
    not_null = any(_not_null(k) for k in kinds)
    return not not_null or default is not None


def _not_null(kind: exp.Expr | None) -> bool:
    """NOT NULL, as opposed to an explicit NULL: sqlglot parses both as
    NotNullColumnConstraint, the latter with allow_null (Atlas writes NULL everywhere)."""
    return isinstance(kind, exp.NotNullColumnConstraint) and not kind.args.get("allow_null")


# --- apply time: the ALTER TABLE forms SQLite lacks -----------------------------------------

BUMP_TABLE = "dualwrite_schema_bump"  # created and dropped at once, to move the cookie


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class Refused(Exception):
    """An apply-time ALTER that cannot be done; str() is the reason (no file:line)."""


def sqlite_rebuild_statements(conn: Any, alter: exp.Alter) -> list[str]:
    """The SQLite statements doing one `needs_apply_time` ALTER TABLE on `conn` now.

    `conn` is a SQLAlchemy Connection inside the migration's transaction; run the result
    on it at once and in order. Raises Refused when the change cannot be made.
    """
    return _Alter(conn, alter).statements()


class _Alter:
    def __init__(self, conn: Any, alter: exp.Alter) -> None:
        self.conn = conn
        self.alter = alter
        self.action = alter.args["actions"][0]
        self.table = alter.this.name

    def scalar(self, sql: str, *params: Any) -> Any:
        return self.conn.exec_driver_sql(sql, params).scalar()

    def statements(self) -> list[str]:
        found = _read_table(self.conn, self.table)
        if found is None:
            if self.alter.args.get("exists"):
                return []  # ALTER TABLE IF EXISTS: Postgres only notes it
            raise Refused(f"no such table: {self.table}")
        self.table, self.old = found
        self.new = self.old.copy()
        self.before: list[str] = []
        self.after: list[str] = []
        handler = {exp.ColumnDef: self.add_column, exp.AlterColumn: self.alter_column,
                   exp.AddConstraint: self.add_constraint, exp.Drop: self.drop,
                   exp.RenameColumn: self.rename, exp.AlterRename: self.rename}.get(
                       type(self.action))
        if handler is None:
            raise Refused(f"SQLite cannot {self.action.sql('sqlite')}")
        done = handler()
        if done is not None:
            return done
        return [*self.before, *self.rewrite(), *self.after]

    # --- the table definition --------------------------------------------------------------
    def columns(self, tree: exp.Create) -> dict[str, exp.ColumnDef]:
        return {c.name.lower(): c for c in tree.this.expressions if isinstance(c, exp.ColumnDef)}

    def column(self, name: str) -> exp.ColumnDef:
        column = self.columns(self.new).get(name.lower())
        if column is None:
            raise Refused(f"column {name} of table {self.table} does not exist")
        return column

    def rewrite(self) -> list[str]:
        """Store the new definition: in place when the layout allows, else a rebuild."""
        if self.new == self.old:
            return []
        if _layout(self.new) == _layout(self.old):
            return [*_write_in_place(self.table, self.new), *SCHEMA_CHANGED]
        return self.rebuild()

    def rebuild(self) -> list[str]:
        """SQLite's 12-step table rebuild, where foreign keys allow it inside a transaction."""
        if self.scalar("PRAGMA foreign_keys"):
            referencing = self.conn.exec_driver_sql(
                "SELECT DISTINCT m.name FROM sqlite_master m, pragma_foreign_key_list(m.name) f "
                "WHERE m.type = 'table' AND lower(f.\"table\") = lower(?)",
                (self.table,)).scalars().all()
            if referencing:
                raise Refused(
                    f"changing table {self.table} this way means rebuilding it, and "
                    f"{', '.join(sorted(referencing))} reference(s) it: SQLite cannot turn "
                    f"foreign keys off inside the migration's transaction")
        temp = f"dualwrite_rebuild_{self.table}"
        created = self.new.copy()
        created.this.set("this", exp.to_table(quote(temp)))
        kept = [c for c in self.columns(self.new) if c in self.columns(self.old)]
        names = ", ".join(quote(self.columns(self.new)[c].name) for c in kept)
        others = self.conn.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type IN ('index', 'trigger') "
            "AND tbl_name = ? AND sql IS NOT NULL", (self.table,)).scalars().all()
        legacy = self.scalar("PRAGMA legacy_alter_table")
        return [
            generate(created),
            f"INSERT INTO {quote(temp)} ({names}) SELECT {names} FROM {quote(self.table)}",
            f"DROP TABLE {quote(self.table)}",
            "PRAGMA legacy_alter_table=ON",  # views naming the table stay as written
            f"ALTER TABLE {quote(temp)} RENAME TO {quote(self.table)}",
            f"PRAGMA legacy_alter_table={int(legacy or 0)}",
            *others,
        ]

    # --- actions ----------------------------------------------------------------------------
    def rename(self) -> list[str]:
        action = self.action
        if isinstance(action, exp.RenameColumn) and action.args.get("exists") and (
                action.this.name.lower() not in self.columns(self.old)):
            return []
        single = self.alter.copy()
        single.set("exists", False)
        single.args["actions"][0].set("exists", False)
        return [generate(single)]

    def add_column(self) -> list[str] | None:
        column: exp.ColumnDef = self.action.copy()
        if column.name.lower() in self.columns(self.old):
            if column.args.get("exists"):
                return []
            raise Refused(f"column {column.name} of table {self.table} already exists")
        column.set("exists", False)
        if _native_add_column(column):
            return [f"ALTER TABLE {quote(self.table)} ADD COLUMN {generate(column)}"]
        # Add the bare column, fill it as Postgres would, then give it its constraints.
        kinds = [c.kind for c in column.constraints]
        if any(isinstance(k, exp.PrimaryKeyColumnConstraint) for k in kinds):
            raise Refused("SQLite cannot add a PRIMARY KEY column to an existing table")
        bare = exp.ColumnDef(this=column.this.copy(), kind=column.args.get("kind"), constraints=[
            c.copy() for c in column.constraints
            if isinstance(c.kind, (exp.CheckColumnConstraint, exp.Reference,
                                   exp.CollateColumnConstraint))])
        self.before.append(f"ALTER TABLE {quote(self.table)} ADD COLUMN {generate(bare)}")
        default = next((k.this for k in kinds if isinstance(k, exp.DefaultColumnConstraint)), None)
        if default is not None:
            value = default.this if isinstance(default, exp.Paren) else default
            self.before.append(f"UPDATE {quote(self.table)} SET {quote(column.name)} = "
                               f"{generate(value)}")
        elif any(_not_null(k) for k in kinds) and self.scalar(
                f"SELECT EXISTS (SELECT 1 FROM {quote(self.table)})"):
            raise Refused(f'column "{column.name}" of relation "{self.table}" contains null '
                          f"values")
        for c in list(column.constraints):
            if isinstance(c.kind, exp.UniqueColumnConstraint):
                c.pop()
                self.after.append(self.unique_index(c.this, [column.name]))
        self.old.this.append("expressions", bare)  # what SQLite's ADD COLUMN leaves
        self.new.this.append("expressions", column)
        return None

    def alter_column(self) -> None:
        action: exp.AlterColumn = self.action
        column = self.column(action.this.name)
        q_column, q_table = quote(column.name), quote(self.table)
        constraints = column.constraints
        if action.args.get("dtype") is not None:
            self.change_type(column, action)
        elif action.args.get("allow_null") is False:  # SET NOT NULL
            if self.scalar(f"SELECT EXISTS (SELECT 1 FROM {q_table} WHERE {q_column} IS NULL)"):
                raise Refused(f'column "{column.name}" of relation "{self.table}" contains '
                              f"null values")
            if not any(isinstance(c.kind, exp.NotNullColumnConstraint) for c in constraints):
                column.append("constraints",
                              exp.ColumnConstraint(kind=exp.NotNullColumnConstraint()))
        elif action.args.get("allow_null"):  # DROP NOT NULL
            _remove(column, exp.NotNullColumnConstraint)
        elif action.args.get("drop"):  # DROP DEFAULT
            _remove(column, exp.DefaultColumnConstraint)
        elif action.args.get("default") is not None:  # SET DEFAULT
            _remove(column, exp.DefaultColumnConstraint)
            default = exp.DefaultColumnConstraint(this=action.args["default"].copy())
            _parenthesize_default(default)
            column.append("constraints", exp.ColumnConstraint(kind=default))
        else:
            raise Refused(f"SQLite has no form of ALTER COLUMN {action.sql('sqlite')}")

    def change_type(self, column: exp.ColumnDef, action: exp.AlterColumn) -> None:
        new_type: exp.DataType = action.args["dtype"].copy()
        old_sql = generate(column.args["kind"]) if column.args.get("kind") else ""
        if _layout(self.new)[3] == column.name.lower() and _affinity(generate(new_type)) == (
                "INTEGER"):
            return  # the rowid is a 64-bit integer already; keep it the rowid
        for c in list(column.constraints):
            if c.this is not None and c.name.endswith(ENUM_CHECK_SUFFIX):
                c.pop()  # the enum CHECK of the old type
        column.set("kind", new_type)
        using = action.args.get("using")
        if using or _affinity(old_sql) != _affinity(generate(new_type)):
            value = exp.Cast(this=using.copy() if using else exp.column(column.name, quoted=True),
                             to=new_type.copy())
            self.after.append(f"UPDATE {quote(self.table)} SET {quote(column.name)} = "
                              f"{generate(value)}")

    def add_constraint(self) -> list[str] | None:
        node = self.action.expressions[0]
        name = node.name if isinstance(node, exp.Constraint) else None
        kind = node.expressions[0] if isinstance(node, exp.Constraint) else node
        validate = not self.alter.args.get("not_valid")
        if isinstance(kind, exp.UniqueColumnConstraint):
            columns = [e.name for e in kind.this.expressions] if kind.this else []
            return [self.unique_index(name, columns)]
        if isinstance(kind, exp.CheckColumnConstraint):
            enum_column = _enum_check_column(name, kind)
            if validate:
                self.validate_check(name or f"{self.table}_check", kind.this)
            if enum_column is not None:  # an enum's CHECK sits on its column
                self.column(enum_column).append("constraints", exp.ColumnConstraint(
                    this=exp.to_identifier(name), kind=kind.copy()))
                return None
        elif isinstance(kind, exp.ForeignKey):
            if validate:
                self.validate_foreign_key(name or f"{self.table}_fkey", kind)
        elif not isinstance(kind, exp.PrimaryKey):
            raise Refused(f"SQLite has no form of {self.action.sql('sqlite')}")
        self.new.this.append("expressions", node.copy())
        return None

    def drop(self) -> list[str] | None:
        kind = str(self.action.args.get("kind") or "").upper()
        names = [e.name for e in self.action.args.get("tables") or []]
        if kind == "COLUMN":
            name = names[0]
            if name.lower() not in self.columns(self.old):
                if self.action.args.get("exists"):
                    return []
                raise Refused(f"column {name} of table {self.table} does not exist")
            indexes = self.conn.exec_driver_sql(
                "SELECT DISTINCT il.name FROM pragma_index_list(?) il, "
                "pragma_index_info(il.name) ii WHERE il.origin = 'c' AND lower(ii.name) = "
                "lower(?)", (self.table, name)).scalars().all()
            # Postgres drops the indexes on a dropped column; SQLite refuses instead.
            return [*(f"DROP INDEX {quote(i)}" for i in indexes),
                    f"ALTER TABLE {quote(self.table)} DROP COLUMN {quote(name)}"]
        if kind != "CONSTRAINT":
            raise Refused(f"SQLite has no form of {self.action.sql('sqlite')}")
        wanted = names[0].lower()
        for found, node in _named_constraints(self.new):
            if found.lower() == wanted:
                node.pop()
                return None
        index = self.scalar("SELECT name FROM sqlite_master WHERE type = 'index' AND "
                            "tbl_name = ? AND lower(name) = lower(?)", self.table, wanted)
        if index is not None:  # a UNIQUE constraint we made an index of
            return [f"DROP INDEX {quote(index)}"]
        if self.action.args.get("exists"):
            return []
        raise Refused(f'constraint "{names[0]}" of relation "{self.table}" does not exist')

    # --- helpers ----------------------------------------------------------------------------
    def unique_index(self, name: Any, columns: list[str]) -> str:
        """ADD UNIQUE as a unique index: SQLite cannot add a UNIQUE constraint in place."""
        name = (name.name if isinstance(name, exp.Expr) else name) or (
            f"{self.table}_{'_'.join(columns)}_key")
        cols = ", ".join(quote(c) for c in columns)
        return f"CREATE UNIQUE INDEX {quote(name)} ON {quote(self.table)} ({cols})"

    def validate_check(self, name: str, check: exp.Expr) -> None:
        if self.scalar(f"SELECT EXISTS (SELECT 1 FROM {quote(self.table)} "
                       f"WHERE NOT ({generate(check)}))"):
            raise Refused(f'check constraint "{name}" of relation "{self.table}" is violated '
                          f"by some row")

    def validate_foreign_key(self, name: str, fk: exp.ForeignKey) -> None:
        columns = [e.name for e in fk.expressions]
        target = fk.args["reference"].this
        parent = target.this.name if isinstance(target, exp.Schema) else target.name
        keys = [e.name for e in target.expressions] if isinstance(target, exp.Schema) else [
            r[1] for r in sorted(self.conn.exec_driver_sql(
                f"PRAGMA table_info({quote(parent)})").all(), key=lambda r: r[5]) if r[5]]
        present = " AND ".join(f"c.{quote(c)} IS NOT NULL" for c in columns)
        pairs = zip(keys, columns, strict=True)
        match = " AND ".join(f"p.{quote(k)} = c.{quote(c)}" for k, c in pairs)
        if self.scalar(f"SELECT EXISTS (SELECT 1 FROM {quote(self.table)} c WHERE {present} "
                       f"AND NOT EXISTS (SELECT 1 FROM {quote(parent)} p WHERE {match}))"):
            raise Refused(f'insert or update on table "{self.table}" violates foreign key '
                          f'constraint "{name}"')


def _read_table(conn: Any, table: str) -> tuple[str, exp.Create] | None:
    """(stored name, definition) of a table, or None; declared types kept as written.

    Regenerating `INT PRIMARY KEY` as `INTEGER PRIMARY KEY` would silently make it the
    rowid, so each column's type is the text SQLite recorded.
    """
    row = conn.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'table' "
                               "AND lower(name) = lower(?)", (table,)).first()
    if row is None:
        return None
    try:
        tree = sqlglot.parse_one(row[1], read=DualwriteSQLite)
    except ParseError:
        tree = None
    if not isinstance(tree, exp.Create) or not isinstance(tree.this, exp.Schema):
        raise Refused(f"sqlglot cannot read the SQLite definition of table {row[0]}")
    declared = {r[1].lower(): r[2] for r in conn.exec_driver_sql(
        f"PRAGMA table_xinfo({quote(row[0])})")}
    for column in tree.this.expressions:
        if isinstance(column, exp.ColumnDef):
            text = declared.get(column.name.lower())
            column.set("kind", exp.DataType(this=DT.USERDEFINED, kind=text) if text else None)
    return row[0], tree


def _write_in_place(table: str, tree: exp.Create) -> list[str]:
    """Store a new definition of the same layout: SQLite's writable_schema procedure."""
    return [
        "PRAGMA writable_schema=ON",
        f"UPDATE sqlite_master SET sql = {_literal(generate(tree))} "
        f"WHERE type = 'table' AND name = {_literal(table)}",
        "PRAGMA writable_schema=RESET",  # this connection rereads the schema
    ]


# Any DDL moves the schema cookie, so other connections reread the edited schema too.
SCHEMA_CHANGED = [f"CREATE TABLE {BUMP_TABLE} (x)", f"DROP TABLE {BUMP_TABLE}"]


def enum_value_statements(conn: Any, enum: str, value: str,
                          position: tuple[str, str] | None = None) -> list[str]:
    """`ALTER TYPE enum ADD VALUE`: widen the CHECK standing in for the enum, everywhere.

    `position` is ("BEFORE" | "AFTER", neighbour), as Postgres writes it.
    """
    name = f"{enum}{ENUM_CHECK_SUFFIX}".lower()
    out: list[str] = []
    tables = conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table' AND "
                                  "instr(lower(sql), ?) > 0", (name,)).scalars().all()
    for table in tables:
        stored, tree = _read_table(conn, table)  # type: ignore[misc]
        changed = False
        for c in tree.find_all(exp.ColumnConstraint):
            check = c.kind.this if isinstance(c.kind, exp.CheckColumnConstraint) else None
            if c.this is None or c.name.lower() != name or not isinstance(check, exp.In):
                continue
            values = [e.name for e in check.expressions]
            if value not in values:
                values = with_value(values, value, position)
                check.set("expressions", [exp.Literal.string(v) for v in values])
                changed = True
        if changed:
            out += _write_in_place(stored, tree)
    return [*out, *SCHEMA_CHANGED] if out else []


def with_value(values: list[str], value: str,
               position: tuple[str, str] | None = None) -> list[str]:
    """An enum's values after ADD VALUE (at the end, or BEFORE/AFTER a neighbour)."""
    if value in values:
        return values
    at = len(values)
    if position is not None and position[1] in values:
        at = values.index(position[1]) + (position[0] == "AFTER")
    return [*values[:at], value, *values[at:]]


def _remove(column: exp.ColumnDef, kind: type[exp.Expr]) -> None:
    for c in list(column.constraints):
        if isinstance(c.kind, kind):
            c.pop()


def _enum_check_column(name: str | None, check: exp.CheckColumnConstraint) -> str | None:
    if not name or not name.endswith(ENUM_CHECK_SUFFIX) or not isinstance(check.this, exp.In):
        return None
    return check.this.this.name


def _affinity(type_sql: str) -> str:
    """SQLite's column affinity rules (https://sqlite.org/datatype3.html, 3.1)."""
    t = type_sql.upper()
    if "INT" in t:
        return "INTEGER"
    if any(s in t for s in ("CHAR", "CLOB", "TEXT")):
        return "TEXT"
    if "BLOB" in t or not t:
        return "BLOB"
    if any(s in t for s in ("REAL", "FLOA", "DOUB")):
        return "REAL"
    return "NUMERIC"


def _layout(tree: exp.Create) -> tuple[Any, ...]:
    """What fixes the on-disk format: columns, primary key, unique sets, the rowid column."""
    columns: list[str] = []
    uniques: set[tuple[str, ...]] = set()
    pk: tuple[str, ...] = ()
    for node in tree.this.expressions:
        kinds = node.expressions if isinstance(node, exp.Constraint) else [node]
        if isinstance(node, exp.ColumnDef):
            columns.append(node.name.lower())
            kinds = [c.kind for c in node.constraints]
            for k in kinds:
                if isinstance(k, exp.PrimaryKeyColumnConstraint):
                    pk = (node.name.lower(),)
                elif isinstance(k, exp.UniqueColumnConstraint):
                    uniques.add((node.name.lower(),))
            continue
        for k in kinds:
            if isinstance(k, exp.PrimaryKey):
                pk = tuple(e.name.lower() for e in k.expressions)
            elif isinstance(k, exp.UniqueColumnConstraint) and k.this is not None:
                uniques.add(tuple(e.name.lower() for e in k.this.expressions))
    rowid = None
    if len(pk) == 1:
        column = next(c for c in tree.this.expressions
                      if isinstance(c, exp.ColumnDef) and c.name.lower() == pk[0])
        kind = column.args.get("kind")
        if kind is not None and generate(kind).upper() == "INTEGER":
            rowid = pk[0]
    return tuple(columns), pk, frozenset(uniques), rowid


def _named_constraints(tree: exp.Create) -> list[tuple[str, exp.Expr]]:
    """Every constraint with its name: as written, else as Postgres would have named it."""
    table = tree.this.this.name
    found: list[tuple[str, exp.Expr]] = []
    suffix: dict[type, str] = {
        exp.CheckColumnConstraint: "check", exp.UniqueColumnConstraint: "key",
        exp.Reference: "fkey", exp.NotNullColumnConstraint: "not_null", exp.ForeignKey: "fkey"}
    for node in tree.this.expressions:
        if isinstance(node, exp.ColumnDef):
            for c in node.constraints:
                if c.this is not None:
                    found.append((c.name, c))
                elif isinstance(c.kind, exp.PrimaryKeyColumnConstraint):
                    found.append((f"{table}_pkey", c))
                elif type(c.kind) in suffix:
                    found.append((f"{table}_{node.name}_{suffix[type(c.kind)]}", c))
        elif isinstance(node, exp.Constraint):
            found.append((node.name, node))
        elif isinstance(node, exp.PrimaryKey):
            found.append((f"{table}_pkey", node))
        elif isinstance(node, exp.CheckColumnConstraint):
            first = next(node.this.find_all(exp.Column), None)
            found.append((f"{table}_{first.name}_check" if first else f"{table}_check", node))
        elif isinstance(node, exp.UniqueColumnConstraint) and node.this is not None:
            cols = "_".join(e.name for e in node.this.expressions)
            found.append((f"{table}_{cols}_key", node))
        elif isinstance(node, exp.ForeignKey):
            cols = "_".join(e.name for e in node.expressions)
            found.append((f"{table}_{cols}_fkey", node))
    return found

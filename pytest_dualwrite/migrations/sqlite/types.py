"""Column types and defaults on SQLite: the generator we write SQLite with, and the
per-column rewrites (enum types, arrays, user types, boolean and array defaults).

This is the one module that decides how a declared type is stored on SQLite.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlglot import exp
from sqlglot.dialects.sqlite import SQLite
from sqlglot.errors import ErrorLevel, UnsupportedError
from sqlglot.generators.sqlite import SQLiteGenerator

from .spelling import declared, is_array

DT = exp.DataType.Type
SERIALS = {DT.SERIAL, DT.BIGSERIAL, DT.SMALLSERIAL}
TIMESTAMPS = {DT.TIMESTAMP, DT.TIMESTAMPTZ, DT.TIMESTAMPLTZ, DT.DATETIME}
TEXTS = {DT.TEXT, DT.VARCHAR, DT.CHAR, DT.NVARCHAR, DT.NCHAR}
ENUM_CHECK_SUFFIX = "_enum"  # names the CHECK that stands in for a Postgres enum type
# Names the CHECK that makes SQLite refuse what Postgres refuses for the declared type (a
# value over varchar(n), an int4 out of range); reflection leaves these out of the schema.
LIMIT_CHECK_SUFFIX = "_dw_limit"
_INT_RANGES = {DT.SMALLINT: 2**15, DT.INT: 2**31}
_SIZED_TEXT = {DT.VARCHAR, DT.CHAR, DT.NVARCHAR, DT.NCHAR}


class Unsupported(Exception):
    """A statement SQLite cannot express; str() says why (the caller adds file:line)."""


class DualwriteSQLite(SQLite):
    """SQLite as we write it: declared types kept where SQLite and SQLAlchemy read them right.

    sqlglot's SQLite generator turns BOOLEAN, BIGINT and VARCHAR(255) into INTEGER/TEXT and
    NUMERIC into REAL (different affinity); reflection then no longer matches the models.
    TIMESTAMPTZ stays TIMESTAMPTZ (a timestamp's text has no number to lose to NUMERIC
    affinity). Columns of UUID, JSON and array types are declared by `spelling`; a cast
    to UUID is to CHAR(36), text either way.
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
            DT.TIMESTAMPTZ: "TIMESTAMPTZ",
            DT.TIMESTAMPLTZ: "TIMESTAMPTZ",
            DT.TIMETZ: "TIME",
        }
        def cast_sql(self, expression: exp.Cast, safe_prefix: str | None = None) -> str:
            # A timestamptz cast as SQLite reads a timestamp (a CAST to a NUMERIC-affinity
            # name would turn '2024-01-01' into 2024); DATETIME() also applies the offset.
            if expression.is_type("timestamptz", "timestampltz"):
                return self.func("DATETIME", expression.this)
            return super().cast_sql(expression, safe_prefix)

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


def limit_check(column: str, kind: exp.DataType) -> exp.ColumnConstraint | None:
    """A CHECK refusing what Postgres refuses for `kind`: text over varchar(n)/char(n), an
    int2/int4 out of range, a numeric(p,s) with more than p-s integer digits. SQLite stores
    any of these unchanged, so a narrowing copy would pass there and fail on Postgres."""
    params = [p.name for p in kind.expressions if isinstance(p, exp.DataTypeParam)]
    col = exp.column(column, quoted=True)
    check: exp.Expr | None = None
    if kind.this in _SIZED_TEXT and params and params[0].isdigit():
        check = exp.LTE(this=exp.Length(this=col), expression=exp.Literal.number(params[0]))
    elif kind.this in _INT_RANGES:
        bound = _INT_RANGES[kind.this]
        check = exp.Between(this=col, low=exp.Literal.number(-bound),
                            high=exp.Literal.number(bound - 1))
    elif kind.this == DT.DECIMAL and params and params[0].isdigit():
        digits = int(params[0]) - (int(params[1]) if len(params) > 1 and params[1].isdigit()
                                   else 0)
        check = exp.LT(this=exp.Abs(this=col), expression=exp.Literal.number(f"1e{digits}"))
    if check is None:
        return None
    return exp.ColumnConstraint(this=exp.to_identifier(f"{column}{LIMIT_CHECK_SUFFIX}"),
                                kind=exp.CheckColumnConstraint(this=check))


def column_type(column: exp.ColumnDef, kind: exp.DataType,
                enums: Mapping[str, tuple[str, ...]], adjusted: list[str]) -> exp.DataType:
    """The SQLite type of `column`; an enum also gets its CHECK, citext its NOCASE, a
    sized type its `limit_check`."""
    name = ""
    if kind.this == DT.USERDEFINED and kind.args.get("kind"):
        name = str(kind.args["kind"].name if isinstance(kind.args["kind"], exp.Expr)
                   else kind.args["kind"]).lower()
    values = [v.name for v in kind.expressions] if kind.this == DT.ENUM else (
        enums.get(name))
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
            adjusted.append(f"type {name} becomes TEXT")
        return exp.DataType.build("TEXT")
    limit = limit_check(column.name, kind)
    if limit is not None:  # first: sqlglot cannot read `UNIQUE CONSTRAINT c CHECK` back
        column.set("constraints", [limit, *column.constraints])
    spelled = declared(kind)
    if spelled is not None and is_array(kind):
        adjusted.append(f"array column {column.name} holds JSON text")
    return kind if spelled is None else spelled


def fix_default(column: exp.ColumnDef, kind: exp.DataType | None,
                default: exp.DefaultColumnConstraint) -> None:
    """A column DEFAULT as SQLite stores the same value (booleans, empty arrays)."""
    value = default.this
    refuse_sequence(column.name, value)
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


def refuse_sequence(column: str, default: exp.Expr) -> None:
    if any(f.name.lower() == "nextval" for f in default.find_all(exp.Anonymous)):
        raise Unsupported(f"column {column} takes its DEFAULT from a sequence; SQLite has "
                          f"none (use SERIAL or IDENTITY on the primary key)")


def _is_simple_default(value: exp.Expr) -> bool:
    if isinstance(value, exp.Neg):
        value = value.this
    return isinstance(value, (exp.Literal, exp.Null, exp.Boolean, exp.Paren, exp.CurrentDate,
                              exp.CurrentTime))


def parenthesize_default(default: exp.DefaultColumnConstraint) -> None:
    """SQLite takes a literal or `(expr)` after DEFAULT, never a bare function call."""
    if not _is_simple_default(default.this):
        default.set("this", exp.Paren(this=default.this))


def not_null(kind: exp.Expr | None) -> bool:
    """NOT NULL, as opposed to an explicit NULL: sqlglot parses both as
    NotNullColumnConstraint, the latter with allow_null (Atlas writes NULL everywhere)."""
    return isinstance(kind, exp.NotNullColumnConstraint) and not kind.args.get("allow_null")


def affinity(type_sql: str) -> str:
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

"""Normalization every producer shares: type spellings.

The migrations say `character varying(255)`, Postgres reflects `VARCHAR(255)`, the models
say `String(255)`; a default is `now()` in one place and `CURRENT_TIMESTAMP` in another.
Each producer maps what it sees through this one module, so the comparer meets a single
spelling and whatever it reports is a real difference, not a quirk of the reader.

SQL fragments (defaults, checks, index expressions, WHERE clauses) have their own
module, `fragments`.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as sa_pg
from sqlglot import exp
from sqlglot.errors import SqlglotError

from ..migrations.sqlite.spelling import logical as sqlite_logical
from .model import ColumnType

T = exp.DataType.Type

# What each dialect's own DDL can tell: SQLite keeps declared type text with affinity
# semantics and has no named enum types.
DIALECT_CAPABILITIES: dict[str, dict[str, bool]] = {
    "postgres": {"exact_types": True, "has_enums": True},
    "sqlite": {"exact_types": False, "has_enums": False},
    "mysql": {"exact_types": True, "has_enums": False},
}
# sqlglot's names -> SQLAlchemy's, for variants (`with_variant(JSONB, "postgresql")`).
SA_DIALECT_NAMES = {"postgres": "postgresql", "sqlite": "sqlite", "mysql": "mysql"}

_INT_SIZES = {
    T.TINYINT: 2, T.SMALLINT: 2, T.SMALLSERIAL: 2, T.INT: 4, T.MEDIUMINT: 4, T.SERIAL: 4,
    T.BIGINT: 8, T.BIGSERIAL: 8, T.UTINYINT: 2, T.USMALLINT: 2, T.UINT: 4, T.UBIGINT: 8,
}
SERIAL_TYPES = frozenset({T.SERIAL, T.SMALLSERIAL, T.BIGSERIAL})
TEXT_TYPES = {T.TEXT, T.VARCHAR, T.NVARCHAR, T.MEDIUMTEXT, T.LONGTEXT, T.TINYTEXT, T.NAME}
CHAR_TYPES = {T.CHAR, T.NCHAR, T.BPCHAR}
_BINARY = {T.BINARY, T.VARBINARY, T.BLOB, T.MEDIUMBLOB, T.LONGBLOB, T.TINYBLOB}
_TIMESTAMP = {T.TIMESTAMP, T.DATETIME, T.DATETIME2, T.SMALLDATETIME, T.TIMESTAMPNTZ}
_TIMESTAMP_TZ = {T.TIMESTAMPTZ, T.TIMESTAMPLTZ}


def _params(dt: exp.DataType) -> list[int | None]:
    out: list[int | None] = []
    for param in dt.expressions:
        text = param.name if isinstance(param, exp.DataTypeParam) else param.sql()
        out.append(int(text) if text.isdigit() else None)
    return out


def udt_name(dt: exp.DataType) -> str:
    """The bare, lower-cased name of a user-defined type (`public.Status` -> `status`)."""
    kind = dt.args.get("kind")
    text = kind.sql() if isinstance(kind, exp.Expression) else str(kind or "")
    return text.rsplit(".", 1)[-1].strip('"').lower()


def from_sqlglot(dt: exp.DataType, enums: dict[str, tuple[str, ...]] | None = None) -> ColumnType:
    """A sqlglot `DataType` (from DDL in any dialect) as a `ColumnType`.

    `enums` are the enum types known at this point: a user-defined type of that name is an
    enum, any other user-defined type stays `unknown` with its name as `variant`.
    """
    kind, params = dt.this, _params(dt)
    first = params[0] if params else None
    if kind in _INT_SIZES:
        return ColumnType("integer", length=_INT_SIZES[kind])
    if kind in (T.DECIMAL, T.BIGDECIMAL):
        return numeric(first, params[1] if len(params) > 1 else None)
    if kind in (T.FLOAT, T.DOUBLE):
        size = 4 if kind == T.FLOAT or (first is not None and first <= 24) else 8
        return ColumnType("float", length=size)
    if kind == T.BOOLEAN:
        return ColumnType("boolean")
    if kind in TEXT_TYPES or kind in CHAR_TYPES:
        return ColumnType("string", length=first, variant="char" if kind in CHAR_TYPES else None)
    if kind in _BINARY:
        return ColumnType("binary")
    if kind in (T.DATE, T.DATE32):
        return ColumnType("date")
    if kind in (T.TIME, T.TIMETZ):
        return ColumnType("time", precision=first, timezone=kind == T.TIMETZ)
    if kind in _TIMESTAMP or kind in _TIMESTAMP_TZ:
        return ColumnType("timestamp", precision=first, timezone=kind in _TIMESTAMP_TZ)
    if kind == T.INTERVAL:
        return ColumnType("interval")
    if kind == T.UUID:
        return ColumnType("uuid")
    if kind in (T.JSON, T.JSONB):
        return ColumnType("json", variant=kind.name.lower())
    if kind == T.ENUM:
        return ColumnType("enum", values=tuple(e.name for e in dt.expressions))
    if kind == T.ARRAY and dt.expressions:
        inner = dt.expressions[0]
        element = from_sqlglot(inner, enums) if isinstance(inner, exp.DataType) else None
        return ColumnType("array", variant=element.describe() if element else "unknown")
    if kind == T.USERDEFINED:
        name = udt_name(dt)
        if enums is not None and name in enums:
            return ColumnType("enum", variant=name, values=enums[name])
        return ColumnType("unknown", variant=name or None)
    return ColumnType("unknown", variant=kind.name.lower())


def numeric(precision: int | None, scale: int | None) -> ColumnType:
    """NUMERIC(10) is NUMERIC(10,0) everywhere; keep one spelling of it."""
    if precision is not None and scale is None:
        scale = 0
    return ColumnType("numeric", precision=precision, scale=scale)


def from_type_text(text: str, dialect: str = "postgres") -> ColumnType:
    """Declared type text (what SQLite stored) as a `ColumnType`.

    Read as Postgres first: its vocabulary is the widest (`TIMESTAMPTZ`, `UUID`, `TEXT[]`),
    and SQLite keeps whatever the migrations wrote. The transpiler's own declarations
    (`UUID_TEXT`, `JSONB_TEXT`, `INT_ARRAY`) read as the type they stand for. An empty
    declaration is `unknown`.
    """
    if not text.strip():
        return ColumnType("unknown")
    ours = sqlite_logical(text)
    if ours is not None:
        return from_sqlglot(ours)
    for read in dict.fromkeys(("postgres", dialect)):
        try:
            return from_sqlglot(exp.DataType.build(text, dialect=read, udt=True))
        except (SqlglotError, ValueError):
            continue
    return ColumnType("unknown", variant=text.strip().lower())


def sa_dialect(name: str) -> sa.engine.Dialect:
    """A SQLAlchemy dialect object for compiling model DDL fragments; no driver needed."""
    from sqlalchemy.dialects import mysql, sqlite

    factories = {"postgres": sa_pg.dialect, "sqlite": sqlite.dialect, "mysql": mysql.dialect}
    return factories.get(name, sa_pg.dialect)()


def resolve_sa_type(t: Any, dialect: str | None) -> Any:
    """The type a dialect really gets: its `with_variant` choice, a decorator's impl."""
    if dialect:
        t = getattr(t, "_variant_mapping", {}).get(SA_DIALECT_NAMES.get(dialect, dialect), t)
    if isinstance(t, sa.types.TypeDecorator):
        impl = t.load_dialect_impl(sa_dialect(dialect)) if dialect else t.impl_instance
        return resolve_sa_type(impl, dialect)
    return t


def from_sqlalchemy(t: Any, dialect: str | None = None) -> ColumnType:
    """A SQLAlchemy type instance (generic, dialect or reflected) as a `ColumnType`.

    A generic type says less than a dialect one: `sa.JSON` leaves the JSON variant open,
    where `postgresql.JSONB` fixes it; the comparer only compares what both sides state.
    """
    t = resolve_sa_type(t, dialect)
    if isinstance(t, sa.Enum):
        if not t.native_enum:
            return ColumnType("string", length=t.length)
        return ColumnType("enum", variant=(t.name or "").lower() or None, values=tuple(t.enums))
    if isinstance(t, sa.ARRAY):
        return ColumnType("array", variant=from_sqlalchemy(t.item_type, dialect).describe())
    if isinstance(t, sa.JSON):
        if isinstance(t, sa_pg.JSONB):
            return ColumnType("json", variant="jsonb")
        return ColumnType("json", variant="json" if isinstance(t, sa_pg.JSON) else None)
    if isinstance(t, sa.Boolean):
        return ColumnType("boolean")
    if isinstance(t, sa.Integer):
        size = 8 if isinstance(t, sa.BigInteger) else 2 if isinstance(t, sa.SmallInteger) else 4
        return ColumnType("integer", length=size)
    if isinstance(t, sa.Float):
        precision = getattr(t, "precision", None)
        small = isinstance(t, sa.REAL) or (precision is not None and precision <= 24)
        return ColumnType("float", length=8 if isinstance(t, sa.Double) or not small else 4)
    if isinstance(t, sa.Numeric):
        return numeric(t.precision, t.scale)
    if isinstance(t, sa.Uuid):
        return ColumnType("uuid")
    if isinstance(t, sa.String):
        fixed = isinstance(t, (sa.CHAR, sa.NCHAR))
        return ColumnType("string", length=t.length, variant="char" if fixed else None)
    if isinstance(t, (sa.LargeBinary, sa.BINARY, sa.VARBINARY)):
        return ColumnType("binary")
    if isinstance(t, sa.DateTime):
        return ColumnType("timestamp", precision=getattr(t, "precision", None),
                          timezone=bool(t.timezone))
    if isinstance(t, sa.Date):
        return ColumnType("date")
    if isinstance(t, sa.Time):
        return ColumnType("time", precision=getattr(t, "precision", None),
                          timezone=bool(t.timezone))
    if isinstance(t, (sa.Interval, sa_pg.INTERVAL)):
        return ColumnType("interval")
    if isinstance(t, sa.types.NullType):
        return ColumnType("unknown")
    name = getattr(t, "__visit_name__", None) or type(t).__name__
    return ColumnType("unknown", variant=str(name).lower())

"""How a value of each logical type is bound and read back, on each backend.

One module decides this so that a column keeps its logical type everywhere: the plugin
inserts generated rows, reads keys and compares sides through these types, and hands
the user's callables the same Python values on SQLite and Postgres (`uuid.UUID` for a
UUID, an aware `datetime` for a timestamptz, `Decimal`, `bool`, parsed JSON, lists).

Where SQLAlchemy already binds a type the way an application's own `sa.Uuid`,
`sa.Numeric` or `sa.JSON` would (a UUID as 32 hex digits on SQLite, natively on
Postgres), this uses that type unchanged, so rows the plugin writes are found by the
application and the other way round.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, time, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from .schema.model import ColumnType

__all__ = ["AwareDateTime", "SQLiteArray", "array_element", "sqlalchemy_table",
           "sqlalchemy_type"]


def _sqlite_text(value: datetime) -> str:
    """SQLAlchemy's own SQLite DATETIME layout (4-digit years, which `strftime` does not
    promise), so an application's `sa.DateTime` reads what the plugin wrote."""
    return (f"{value.year:04d}-{value.month:02d}-{value.day:02d} {value.hour:02d}:"
            f"{value.minute:02d}:{value.second:02d}.{value.microsecond:06d}")


class AwareDateTime(sa.types.TypeDecorator[datetime]):
    """timestamptz on SQLite: stored as UTC wall time (SQLAlchemy's layout), read as an
    aware UTC datetime, so an aware value stays aware. Postgres keeps its own type."""

    impl = sa.String
    cache_ok = True

    def load_dialect_impl(self, dialect: sa.engine.Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.String())
        return dialect.type_descriptor(sa.DateTime(timezone=True))

    def process_bind_param(self, value: Any, dialect: sa.engine.Dialect) -> Any:
        if dialect.name != "sqlite" or not isinstance(value, datetime):
            return value
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return _sqlite_text(value)

    def process_result_value(self, value: Any, dialect: sa.engine.Dialect) -> Any:
        if dialect.name != "sqlite" or value is None:
            return value
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        if moment.tzinfo is None:  # written without an offset: UTC, as on Postgres here
            return moment.replace(tzinfo=timezone.utc)
        return moment.astimezone(timezone.utc)


def _to_json(value: Any) -> Any:
    """Array elements JSON cannot hold, as the text Postgres would print for them."""
    if isinstance(value, datetime | date | time):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    if isinstance(value, UUID | Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


class SQLiteArray(sa.types.TypeDecorator[list[Any]]):
    """A Postgres array: an `ARRAY` of its element type there, a JSON list on SQLite
    (what the transpiler makes of it). Elements JSON lacks are kept as their text."""

    impl = sa.JSON
    cache_ok = True

    def __init__(self, element: sa.types.TypeEngine[Any]) -> None:
        super().__init__()
        self.element = element

    def _documents(self, dialect: sa.engine.Dialect) -> bool:
        """jsonb[]/json[] on Postgres: SQLAlchemy's ARRAY would read a list element as a
        dimension (`[[]]` is "malformed array literal"), so elements go to the driver as
        psycopg's Json/Jsonb and the driver's own array adaptation does the rest."""
        return dialect.name == "postgresql" and isinstance(self.element, sa.JSON) \
            and dialect.driver == "psycopg"

    def load_dialect_impl(self, dialect: sa.engine.Dialect) -> sa.types.TypeEngine[Any]:
        if self._documents(dialect):
            return dialect.type_descriptor(sa.types.NullType())
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.ARRAY(self.element))
        return dialect.type_descriptor(sa.String())

    def process_bind_param(self, value: Any, dialect: sa.engine.Dialect) -> Any:
        if self._documents(dialect) and isinstance(value, list):
            from psycopg.types.json import Json, Jsonb

            wrap = Jsonb if isinstance(self.element, postgresql.JSONB) else Json
            return [None if v is None else wrap(v) for v in value]
        if dialect.name == "postgresql" or value is None or isinstance(value, str):
            return value
        return json.dumps(value, default=_to_json)

    def process_result_value(self, value: Any, dialect: sa.engine.Dialect) -> Any:
        if dialect.name == "postgresql" or not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except ValueError:
            return value


def array_element(column_type: ColumnType) -> ColumnType | None:
    """The element type of an array column (`variant` is the element as SQL: `jsonb`,
    `varchar(10)`, `timestamp with time zone`); None where it cannot be read."""
    from .schema.types import from_type_text

    text = re.sub(r"(\[\])+$", "", (column_type.variant or "").strip()).strip()
    if not text or text == "unknown":
        return None
    element = from_type_text(text)
    return None if element.family in ("unknown", "array") else element


def sqlalchemy_type(column_type: ColumnType) -> sa.types.TypeEngine[Any]:
    """The SQLAlchemy type that binds a value of `column_type` the way SQLAlchemy stores
    it on each backend (a UUID as hex on SQLite, natively on Postgres)."""
    t = column_type
    if t.family == "enum" and t.variant:
        # A named (Postgres) enum: bind with a cast to the type, as varchar is refused;
        # on SQLite the same type is plain text.
        return postgresql.ENUM(*t.values, name=t.variant, create_type=False).with_variant(
            sa.String(), "sqlite")
    if t.family == "timestamp" and t.timezone:
        return AwareDateTime()
    if t.family == "json" and t.variant == "jsonb":
        # None is SQL NULL (JSON's null is drawn only as a member): without
        # none_as_null, SQLAlchemy stores None as the JSON document `null`, and a nullable
        # JSON column would never hold SQL NULL.
        return postgresql.JSONB(none_as_null=True).with_variant(
            sa.JSON(none_as_null=True), "sqlite")
    if t.family == "array":
        element = array_element(t)
        inner = sqlalchemy_type(element) if element is not None else sa.String()
        return SQLiteArray(inner)
    simple: dict[str, sa.types.TypeEngine[Any]] = {
        "integer": sa.BigInteger() if t.length == 8 else sa.Integer(),
        "numeric": sa.Numeric(t.precision, t.scale),
        "float": sa.Float(),
        "boolean": sa.Boolean(),
        "string": sa.String(t.length),
        "binary": sa.LargeBinary(t.length),
        "date": sa.Date(),
        "time": sa.Time(timezone=bool(t.timezone)),
        "timestamp": sa.DateTime(timezone=False),
        "interval": sa.Interval(),
        "uuid": sa.Uuid(),
        "json": sa.JSON(none_as_null=True),
        "enum": sa.String(),
    }
    return simple.get(t.family, sa.types.NullType())


def sqlalchemy_table(table: Any, metadata: sa.MetaData | None = None,
                     schema_name: str | None = None) -> sa.Table:
    """A Core `Table` to insert generated rows through: names and bind types only (no
    constraints), so it can be built from any producer's `Table`, even the SQL fold's."""
    # The database's spelling in SQL, the folded name as the key rows are given by.
    return sa.Table(getattr(table, "sql_name", table.name), metadata or sa.MetaData(),
                    *(sa.Column(getattr(c, "sql_name", c.name), sqlalchemy_type(c.type),
                                key=c.name) for c in table.columns),
                    schema=schema_name)

"""Hypothesis strategies for a table's rows, read from the one `Schema` value.

Why our own mapper rather than `hypothesis-sqlalchemy` or `st.from_type`: the schema
here is a `schema.model.Table` that may come from SQL files alone (no SQLAlchemy `Table`
exists), values must fit the backend that will store them (a Postgres `real`, a Decimal
that survives SQLite's REAL storage, text without NUL), strings must reach their VARCHAR
limit, and rows must respect PRIMARY KEY, UNIQUE, `CHECK (col IN (...))` and foreign keys
between the tables generated together. `from_type(str)` knows none of that, and
hypothesis-sqlalchemy generates ASCII text, small positive integers and unbounded
datetimes from SQLAlchemy objects, without foreign keys or checks.

The shape follows hypothesis' `extra.django`: a registry from type family to a factory
`(column, backend) -> strategy` with a validating `register_type_strategy`,
`from_column` for one column, and `rows(table, overrides=...)` where `...` means "infer".

Only `CHECK (col IN (...))` is read. Other checks (`price > 0`, `end_at > start_at`) are
not: generated rows may violate them, so pass an override for those columns;
`ignored_checks(table)` lists what was not read.

Modules by concern: `text` and `values` (one column's values), `hostile` (the text
classes drawn on purpose), `structured` (JSON and arrays), `registry` (family -> factory,
`from_column`), `constraints` and `rows` (what a table's keys and checks ask of a list of
rows), `pools` (rows reusing earlier rows' values: collisions on purpose). How values are
bound is `..binding`.
"""

from __future__ import annotations

from ..binding import sqlalchemy_table, sqlalchemy_type
from .constraints import ignored_checks
from .registry import BACKENDS, Factory, from_column, register_type_strategy
from .rows import DEFAULT_MAX_ROWS, Override, row, rows, rows_for_tables

__all__ = [
    "BACKENDS",
    "DEFAULT_MAX_ROWS",
    "Factory",
    "Override",
    "from_column",
    "ignored_checks",
    "register_type_strategy",
    "row",
    "rows",
    "rows_for_tables",
    "sqlalchemy_table",
    "sqlalchemy_type",
]

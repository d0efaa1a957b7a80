"""Numbers, dates and times: values the backend stores unchanged in the column."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.strategies import SearchStrategy

from ..plain_map import plain_map
from ..schema.model import Column

SQLITE_DIGITS = 15  # SQLite keeps NUMERIC in a double: 15 significant digits survive
# Two days inside Python's 1..9999 so that any UTC offset or session time zone converting
# a value still lands in a year psycopg can load.
MIN_DATETIME = datetime(1, 1, 3)
MAX_DATETIME = datetime(9999, 12, 29, 23, 59, 59, 999999)
MAX_INTERVAL = timedelta(days=36500)  # SQLAlchemy stores Interval on SQLite as epoch + delta
_INT_BITS = {2: 16, 4: 32, 8: 64}


def _integers(column: Column, backend: str) -> SearchStrategy[int]:
    size = column.type.length
    if size not in _INT_BITS:
        # Unknown size: SQLite stores 64 bits; on Postgres stay within int4, which fits any
        # integer column. A declared size is honoured on both, so data fits Postgres too.
        size = 8 if backend == "sqlite" else 4
    bits = _INT_BITS[size]
    return st.integers(-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)


def _decimals(column: Column, backend: str) -> SearchStrategy[Decimal]:
    precision = column.type.precision or 18
    scale = column.type.scale if column.type.scale is not None else (
        6 if column.type.precision is None else 0)
    if backend == "sqlite":
        precision = min(precision, SQLITE_DIGITS)
    scale = min(scale, precision)
    places = Decimal(1).scaleb(-scale)
    bound = Decimal(10) ** (precision - scale) - places
    return st.decimals(-bound, bound, places=scale, allow_nan=False, allow_infinity=False)


def _floats(column: Column, backend: str) -> SearchStrategy[float]:
    t = column.type
    single = (t.length == 4 or (t.variant or "").lower() in ("real", "float4")
              or (t.precision is not None and t.precision <= 24))
    return st.floats(allow_nan=False, allow_infinity=False, allow_subnormal=False,
                     width=32 if single else 64)


def _offsets() -> SearchStrategy[timezone]:
    return plain_map(st.integers(-14 * 60, 14 * 60), lambda m: timezone(timedelta(minutes=m)))


def _round_micro(precision: int | None) -> Callable[[Any], Any]:
    """Drop sub-precision digits so TIMESTAMP(3) or TIME(0) stores the value unchanged."""
    if precision is None or precision >= 6:
        return lambda v: v
    step = 10 ** (6 - max(precision, 0))
    return lambda v: v.replace(microsecond=v.microsecond - v.microsecond % step)


def _timestamps(column: Column, backend: str) -> SearchStrategy[datetime]:
    # Aware on both backends. On SQLite in UTC: SQLAlchemy's own DateTime (an application's)
    # stores the wall time there and drops the offset, so only UTC keeps the instant.
    zones: SearchStrategy[Any] = st.none()
    if column.type.timezone:
        zones = _offsets() if backend == "postgres" else st.just(timezone.utc)
    values = st.datetimes(MIN_DATETIME, MAX_DATETIME, timezones=zones)
    return plain_map(values, _round_micro(column.type.precision))


def _times(column: Column, backend: str) -> SearchStrategy[time]:
    # SQLite (through SQLAlchemy) keeps no offset for TIME: tz-aware only on Postgres.
    zones = _offsets() if column.type.timezone and backend == "postgres" else st.none()
    return plain_map(st.times(timezones=zones), _round_micro(column.type.precision))


def _enum(column: Column, backend: str) -> SearchStrategy[str]:
    if not column.type.values:
        raise InvalidArgument(f"enum column {column.name!r} has no labels")
    return st.sampled_from(column.type.values)


"""Numbers, dates and times: values the backend stores unchanged in the column.

Each strategy mixes in the values a copy gets wrong, as a branch of its own so they are
not left to luck: a type's extremes (precision and scale limits, the largest integer),
the smallest step (one microsecond, one unit of the last decimal place), wall times at
daylight-saving edges (one that does not exist, one that happens twice) and offsets
other than UTC where the column keeps one.
"""

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
    low, high = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    # The ends of the range, and for a wider column the first values past int4 (a copy
    # into a narrower column).
    edges = [0, 1, -1, high, low] + ([2**31, -(2**31) - 1] if bits > 32 else [])
    return st.integers(low, high) | st.sampled_from(edges)


def _decimals(column: Column, backend: str) -> SearchStrategy[Decimal]:
    precision = column.type.precision or 18
    scale = column.type.scale if column.type.scale is not None else (
        6 if column.type.precision is None else 0)
    if backend == "sqlite":
        precision = min(precision, SQLITE_DIGITS)
    scale = min(scale, precision)
    places = Decimal(1).scaleb(-scale)
    bound = Decimal(10) ** (precision - scale) - places
    # At the limits: every digit used, the smallest unit, one unit short of an integer.
    edges = sorted({bound, -bound, places, -places, Decimal(0).quantize(places),
                    (Decimal(1) - places).quantize(places)})
    return st.decimals(-bound, bound, places=scale, allow_nan=False, allow_infinity=False) \
        | st.sampled_from(edges)


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


# Wall times at daylight-saving edges: 02:30 did not exist on these spring days (Europe,
# the US) and 01:30/02:30 happened twice on these autumn days; and the last microsecond
# of a year. As naive values; an aware column gets them at an offset below.
DST_EDGES = (datetime(2021, 3, 28, 2, 30), datetime(2021, 10, 31, 2, 30),
             datetime(2021, 3, 14, 2, 30, 0, 1), datetime(2021, 11, 7, 1, 30, 59, 999999),
             datetime(2020, 12, 31, 23, 59, 59, 999999), datetime(2024, 2, 29, 0, 0, 0, 1))
# Offsets other than UTC, including the odd ones (Nepal +05:45, Newfoundland -03:30) and
# the ends of the range.
ODD_OFFSETS = tuple(timezone(timedelta(minutes=m)) for m in (345, -210, 60, -300, 840, -720))


def _timestamps(column: Column, backend: str) -> SearchStrategy[datetime]:
    # Aware on both backends. On SQLite in UTC: SQLAlchemy's own DateTime (an application's)
    # stores the wall time there and drops the offset, so only UTC keeps the instant.
    zones: SearchStrategy[Any] = st.none()
    edges: SearchStrategy[datetime] = st.sampled_from(DST_EDGES)
    if column.type.timezone:
        if backend == "postgres":
            zones = _offsets() | st.sampled_from(ODD_OFFSETS)
            edges = plain_map(st.tuples(edges, st.sampled_from((timezone.utc, *ODD_OFFSETS))),
                              lambda t: t[0].replace(tzinfo=t[1]))
        else:
            zones = st.just(timezone.utc)
            edges = plain_map(edges, lambda d: d.replace(tzinfo=timezone.utc))
    values = st.datetimes(MIN_DATETIME, MAX_DATETIME, timezones=zones) | edges
    return plain_map(values, _round_micro(column.type.precision))


def _times(column: Column, backend: str) -> SearchStrategy[time]:
    # SQLite (through SQLAlchemy) keeps no offset for TIME: tz-aware only on Postgres.
    zones = _offsets() if column.type.timezone and backend == "postgres" else st.none()
    return plain_map(st.times(timezones=zones), _round_micro(column.type.precision))


def _enum(column: Column, backend: str) -> SearchStrategy[str]:
    if not column.type.values:
        raise InvalidArgument(f"enum column {column.name!r} has no labels")
    return st.sampled_from(column.type.values)


"""Numbers, dates and times: values the backend stores unchanged in the column.

Each strategy mixes in the values a copy gets wrong, as a branch of its own so they are
not left to luck: a type's extremes (precision and scale limits, the largest integer),
the smallest step (one microsecond, one unit of the last decimal place), wall times at
daylight-saving edges (one that does not exist, one that happens twice) and offsets
other than UTC where the column keeps one.

Every value is a branch and one to three integer choices (see `flat`): a moment is a day
(counted from 2000-01-01) and a time of day, where `st.datetimes` drew seven fields.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.strategies import SearchStrategy

from ..schema.model import Column
from .flat import Apply, Branches, Ints, Pick

SQLITE_DIGITS = 15  # SQLite keeps NUMERIC in a double: 15 significant digits survive
# Two days inside Python's 1..9999 so that any UTC offset or session time zone converting
# a value still lands in a year psycopg can load.
MIN_DATETIME = datetime(1, 1, 3)
MAX_DATETIME = datetime(9999, 12, 29, 23, 59, 59, 999999)
MAX_INTERVAL = timedelta(days=36500)  # SQLAlchemy stores Interval on SQLite as epoch + delta
_INT_BITS = {2: 16, 4: 32, 8: 64}


EPOCH = datetime(2000, 1, 1)  # day 0 and midnight: what a moment shrinks toward
DAY = 86_400_000_000  # microseconds
# Time of day n is n * SPREAD modulo a day: 0 is midnight, 1 is 01:01:01.000001, 2 is
# 02:02:02.000002; larger n land anywhere in the day. SPREAD shares no factor with DAY
# (2**11 * 3**3 * 5**8), so every microsecond of the day is reachable.
SPREAD = 3_661_000_001
_FIRST_DAY = (MIN_DATETIME - EPOCH).days
_LAST_DAY = (MAX_DATETIME - EPOCH).days  # MAX_DATETIME is the last microsecond of its day
_DAYS = Ints(_FIRST_DAY, _LAST_DAY)
_CLOCK = Ints(0, DAY - 1)
_OFFSET_MINUTES = Ints(-14 * 60, 14 * 60)


def clock(n: int) -> timedelta:
    return timedelta(microseconds=n * SPREAD % DAY)


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
    return Branches(Ints(low, high), Pick(edges))


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
    # A number of units of the last place: one integer choice, `scale` places always.
    units = 10**precision - 1
    return Branches(Apply(lambda n: Decimal(n).scaleb(-scale), Ints(-units, units)),
                    Pick(edges))


def _floats(column: Column, backend: str) -> SearchStrategy[float]:
    t = column.type
    single = (t.length == 4 or (t.variant or "").lower() in ("real", "float4")
              or (t.precision is not None and t.precision <= 24))
    return st.floats(allow_nan=False, allow_infinity=False, allow_subnormal=False,
                     width=32 if single else 64)


def _zone(minutes: int) -> timezone:
    return timezone(timedelta(minutes=minutes))


def _round_micro(precision: int | None) -> Callable[[Any], Any]:
    """Drop sub-precision digits so TIMESTAMP(3) or TIME(0) stores the value unchanged."""
    if precision is None or precision >= 6:
        return lambda v: v
    step = 10 ** (6 - max(precision, 0))
    return lambda v: v.replace(microsecond=v.microsecond - v.microsecond % step)


# Wall times at daylight-saving edges: 02:30 did not exist on these spring days (Europe,
# the US) and 01:30/02:30 happened twice on these autumn days; and the last microsecond
# of a year; and the first and last moment the columns hold. As naive values; an aware
# column gets them at an offset below.
DST_EDGES = (datetime(2021, 3, 28, 2, 30), datetime(2021, 10, 31, 2, 30),
             datetime(2021, 3, 14, 2, 30, 0, 1), datetime(2021, 11, 7, 1, 30, 59, 999999),
             datetime(2020, 12, 31, 23, 59, 59, 999999), datetime(2024, 2, 29, 0, 0, 0, 1))
MOMENT_EDGES = (*DST_EDGES, MIN_DATETIME, MAX_DATETIME)
# Offsets other than UTC, including the odd ones (Nepal +05:45, Newfoundland -03:30) and
# the ends of the range.
ODD_OFFSETS = tuple(timezone(timedelta(minutes=m)) for m in (345, -210, 60, -300, 840, -720))


def _moment(days: int, at: int) -> datetime:
    return EPOCH + timedelta(days=days) + clock(at)


def _timestamps(column: Column, backend: str) -> SearchStrategy[datetime]:
    # Aware on both backends. On SQLite in UTC: SQLAlchemy's own DateTime (an application's)
    # stores the wall time there and drops the offset, so only UTC keeps the instant.
    generic: SearchStrategy[datetime] = Apply(_moment, _DAYS, _CLOCK)
    edges: SearchStrategy[datetime] = Pick(MOMENT_EDGES)
    if column.type.timezone:
        if backend == "postgres":
            generic = Apply(lambda d, t, m: _moment(d, t).replace(tzinfo=_zone(m)),
                            _DAYS, _CLOCK, _OFFSET_MINUTES)
            edges = Pick([e.replace(tzinfo=z) for e in MOMENT_EDGES
                          for z in (timezone.utc, *ODD_OFFSETS)])
        else:
            generic = Apply(lambda d, t: _moment(d, t).replace(tzinfo=timezone.utc),
                            _DAYS, _CLOCK)
            edges = Pick([e.replace(tzinfo=timezone.utc) for e in MOMENT_EDGES])
    return Apply(_round_micro(column.type.precision), Branches(generic, edges))


def _time_of_day(at: int) -> time:
    return (datetime.min + clock(at)).time()


def _times(column: Column, backend: str) -> SearchStrategy[time]:
    # SQLite (through SQLAlchemy) keeps no offset for TIME: tz-aware only on Postgres.
    values: SearchStrategy[time] = Apply(_time_of_day, _CLOCK)
    if column.type.timezone and backend == "postgres":
        values = Apply(lambda t, m: _time_of_day(t).replace(tzinfo=_zone(m)),
                       _CLOCK, _OFFSET_MINUTES)
    return Apply(_round_micro(column.type.precision), values)


DATE_EDGES = (MIN_DATETIME.date(), MAX_DATETIME.date(), date(2000, 2, 29), date(2024, 2, 29),
              date(1999, 12, 31), date(1970, 1, 1))


def _dates(column: Column, backend: str) -> SearchStrategy[date]:
    return Branches(Apply(lambda d: EPOCH.date() + timedelta(days=d), _DAYS), Pick(DATE_EDGES))


def _intervals(column: Column, backend: str) -> SearchStrategy[timedelta]:
    """Within +-MAX_INTERVAL: whole days and a time of day (negative days included)."""
    days = MAX_INTERVAL.days
    return Apply(lambda d, t: timedelta(days=d) + clock(t), Ints(-days, days - 1), _CLOCK)


def _enum(column: Column, backend: str) -> SearchStrategy[str]:
    if not column.type.values:
        raise InvalidArgument(f"enum column {column.name!r} has no labels")
    return st.sampled_from(column.type.values)

"""Keys next to an existing one, where off-by-one and prefix bugs live.

A neighbour is a valid value of the key column's type, never an edited string: the UUID
one above, the next microsecond the column keeps, the next integer in range, a string one
character longer or shorter within its length. So a "missing neighbour" probe reaches the
user's `read` as the same Python type as every real key, on every backend.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from ..schema.model import ColumnType

_UUID_SPACE = 2**128


def _integer(value: int, t: ColumnType, backend: str) -> list[Any]:
    size = t.length or (8 if backend == "sqlite" else 4)
    bound = 2 ** (size * 8 - 1)
    return [n for n in (value - 1, value + 1) if -bound <= n < bound]


def _string(value: str, t: ColumnType) -> list[Any]:
    near = [value + "0", value[:-1]] if value else ["0"]
    return [n for n in near if t.length is None or len(n) <= t.length]


def _moment(value: date, t: ColumnType) -> list[Any]:
    if isinstance(value, datetime):
        step = timedelta(microseconds=10 ** (6 - min(max(t.precision, 0), 6))
                         if t.precision is not None else 1)
    else:
        step = timedelta(days=1)
    out = []
    for sign in (-1, 1):
        try:
            out.append(value + sign * step)
        except OverflowError:  # the first or last moment the type holds
            continue
    return out


def _decimal(value: Decimal, t: ColumnType) -> list[Any]:
    step = Decimal(1).scaleb(-(t.scale or 0))
    near = [value - step, value + step]
    if t.precision is None:
        return near
    bound = Decimal(10) ** (t.precision - (t.scale or 0))
    return [n for n in near if abs(n) < bound]


def neighbours_of(value: Any, t: ColumnType, backend: str) -> list[Any]:
    """Values of type `t` next to `value`; none where the type has no order worth probing."""
    if value is None or isinstance(value, bool):
        return []
    try:
        if isinstance(value, UUID):
            return [UUID(int=(value.int + d) % _UUID_SPACE) for d in (-1, 1)]
        if isinstance(value, int) and t.family in ("integer", "unknown"):
            return _integer(value, t, backend)
        if isinstance(value, Decimal) and t.family == "numeric":
            return _decimal(value, t)
        if isinstance(value, date):
            return _moment(value, t)
        if isinstance(value, str) and t.family in ("string", "unknown", "enum"):
            return _string(value, t) if t.family != "enum" else []
    except (OverflowError, ValueError, ArithmeticError):  # at the end of the type's range
        return []
    return []


def neighbours(key: Any, types: Sequence[ColumnType], backend: str) -> list[Any]:
    """Neighbours of a key (a value, or a tuple for a composite key: the last part varies)."""
    if isinstance(key, tuple):
        return [(*key[:-1], n) for n in neighbours_of(key[-1], types[-1], backend)]
    return neighbours_of(key, types[0], backend)

"""One Python form per value, for the few comparisons made in Python (the read path).

A read path may return what the driver gives (SQLite: timestamps as text, booleans as
0/1, JSON as text) or what an ORM gives (datetime, bool, dict). Both sides go through the
same normalization by column type, so only a real difference remains.
"""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime, time, timezone
from decimal import Decimal
from typing import Any

from ..schema.model import ColumnType


def _datetime(value: Any) -> Any:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    if isinstance(value, datetime) and value.tzinfo is not None:
        # Naive UTC on both sides: SQLite keeps an offset only where the driver wrote one.
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


def _not_json(name: str) -> Any:
    """`NaN`, `Infinity`: Python's json reads them, JSON has none. A JSON column's string
    'NaN' (already decoded by an ORM) would become float('nan'), unequal to itself, and
    equal values would be reported as different; left as the string, they compare."""
    raise ValueError(name)


def normalize(value: Any, column_type: ColumnType) -> Any:
    if value is None:
        return None
    family = column_type.family
    if family == "timestamp":
        return _datetime(value)
    if family == "date" and isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return value
    if family == "time" and isinstance(value, str):
        try:
            return time.fromisoformat(value)
        except ValueError:
            return value
    if family == "boolean" and isinstance(value, int):
        return bool(value)
    if family == "uuid":
        try:
            return uuid.UUID(str(value))
        except ValueError:
            return value
    if family == "json" and isinstance(value, str):
        try:
            return json.loads(value, parse_constant=_not_json)
        except ValueError:
            return value
    if family in ("numeric", "float") and isinstance(value, int | float | Decimal | str):
        try:
            return Decimal(str(value))
        except ArithmeticError:
            return value
    return value

"""What a user's callable must hand back, checked where it does: one line, not a TypeError
deep inside the comparison."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import Abort, UserCodeError
from .spec import DualWrite


def check_read_result(spec: DualWrite, key: Any, got: Any) -> None:
    """`read(conn, key)` returns a mapping of the old columns (a dict, a Row's `_mapping`),
    an object with them as attributes (a Row, a dataclass), or None for no such record."""
    if got is None or isinstance(got, Mapping):
        return
    if not isinstance(got, str | bytes | int | float | list | tuple | set) and all(
            hasattr(got, name) for name in spec.fields):
        return
    raise Abort(UserCodeError(
        f"{spec.where}: read={spec.callable_name('read')} returned {type(got).__name__} "
        f"{_short(got)} for key={key!r}; it must return a dict of "
        f"{', '.join(spec.fields)} or None"))


def _short(value: Any, width: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= width else text[: width - 1] + "…"

"""Two differing values as a person can compare them, however long they are.

A 2,000-character name printed twice in full hides the one character that differs. Up to
`LIMIT` characters a value is shown whole; beyond, the line gives both lengths, how much
they share, and a window around the first position where they part.
"""

from __future__ import annotations

from collections.abc import Callable, Sized
from typing import Any

from .showing import look_alike, pair

LIMIT = 200  # characters of a value's text shown whole
WINDOW = 30  # characters shown around the first difference


def common_prefix(old: Any, new: Any) -> int:
    """How many leading items (characters, bytes) `old` and `new` share."""
    count = 0
    for a, b in zip(old, new, strict=False):
        if a != b:
            break
        count += 1
    return count


def _window(value: Any, start: int) -> str:
    part = value[start:start + WINDOW]
    return repr(part) + ("…" if len(value) > start + WINDOW else "") if part else "(its end)"


def _is_long(value: Any, show: Callable[[Any], str]) -> bool:
    return isinstance(value, str | bytes) and len(show(value)) > LIMIT


def show_one(value: Any, show: Callable[[Any], str]) -> str:
    """`show(value)`, or for a long text its start and its length."""
    if not _is_long(value, show):
        return show(value)
    return f"{value[:WINDOW]!r}… ({len(value)} {_unit(value)})"


def _unit(value: Sized) -> str:
    return "bytes" if isinstance(value, bytes) else "characters"


def show_pair(old_label: str, old: Any, new_label: str, new: Any,
              show: Callable[[Any], str]) -> str:
    """`old_label old != new_label new`; for long texts, lengths and the first difference;
    for strings that look alike, their code points (`showing`)."""
    if look_alike(old, new) and not (_is_long(old, show) or _is_long(new, show)):
        shown_old, shown_new, note = pair(old, new)
        return f"{old_label} {shown_old} != {new_label} {shown_new} ({note})"
    if not (_is_long(old, show) or _is_long(new, show)) or type(old) is not type(new):
        return f"{old_label} {show_one(old, show)} != {new_label} {show_one(new, show)}"
    same = common_prefix(old, new)
    unit = _unit(old)
    shared = f"the same first {same} {unit} ({old[:WINDOW]!r}…)" if same else \
        "different from the first one"
    return (f"{old_label} ({len(old)} {unit}) != {new_label} ({len(new)} {unit}): {shared}; "
            f"at position {same}: {old_label} {_window(old, same)}, "
            f"{new_label} {_window(new, same)}")

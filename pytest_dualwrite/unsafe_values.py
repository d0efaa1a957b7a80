"""Values a user's `strategies=` override may yield that no database row can hold.

The plugin's own text strategies never make them; an override (`st.text()`) does. Left
alone, the insert dies in the driver with a traceback through SQLAlchemy that names
neither the override nor the column. Each override is wrapped so the first such value
stops the item with one line naming the column, the backend and the value's position.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hypothesis.strategies import SearchStrategy

from .errors import SpecError
from .plain_map import plain_map

# Postgres refuses NUL in text and json; SQLite keeps it.
_NUL_REFUSED = frozenset({"postgres"})


class UnsafeOverride(SpecError):
    """An override yielded a value the backend cannot store."""


def _problem(text: str, backend: str) -> str | None:
    if "\x00" in text and backend in _NUL_REFUSED:
        return f"a NUL character (\\x00) at position {text.index(chr(0))}, which {backend} " \
               "cannot store in text"
    for position, char in enumerate(text):
        if "\ud800" <= char <= "\udfff":
            return f"a lone surrogate {char!r} at position {position}, which is not valid " \
                   f"UTF-8 ({backend} cannot store it)"
    return None


def _find(value: Any, backend: str) -> str | None:
    if isinstance(value, str):
        return _problem(value, backend)
    if isinstance(value, Mapping):
        items: Any = [*value.keys(), *value.values()]
    elif isinstance(value, list | tuple | set | frozenset):
        items = value
    else:
        return None
    for item in items:
        found = _find(item, backend)
        if found:
            return found
    return None


def guarded(strategy: SearchStrategy[Any], table: str, column: str,
            backend: str) -> SearchStrategy[Any]:
    """`strategy`, refusing with one line any value `backend` cannot store."""

    def check(value: Any) -> Any:
        found = _find(value, backend)
        if found:
            raise UnsafeOverride(
                f"strategies override for {table}.{column} yielded {found}; exclude it, "
                "e.g. st.text(alphabet=st.characters(exclude_categories=['Cs'], "
                "exclude_characters='\\x00'))")
        return value

    return plain_map(strategy, check)

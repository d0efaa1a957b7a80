"""The registry from type family to strategy factory, and `from_column` on top of it.

The shape follows hypothesis' `extra.django`: a factory `(column, backend) -> strategy`
per family, replaceable with a validating `register_type_strategy`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.strategies import SearchStrategy

from ..errors import SpecError
from ..schema.model import FAMILIES, Column
from .structured import array, json_values
from .text import _binary, _text_for
from .values import (
    MAX_DATETIME,
    MAX_INTERVAL,
    MIN_DATETIME,
    _decimals,
    _enum,
    _floats,
    _integers,
    _times,
    _timestamps,
)

BACKENDS: tuple[str, ...] = ("sqlite", "postgres")
Factory = Callable[[Column, str], SearchStrategy[Any]]

_REGISTRY: dict[str, Factory] = {
    "integer": _integers,
    "numeric": _decimals,
    "float": _floats,
    "boolean": lambda c, b: st.booleans(),
    "string": _text_for,
    "binary": _binary,
    "date": lambda c, b: st.dates(MIN_DATETIME.date(), MAX_DATETIME.date()),
    "time": _times,
    "timestamp": _timestamps,
    "interval": lambda c, b: st.timedeltas(-MAX_INTERVAL, MAX_INTERVAL),
    "uuid": lambda c, b: st.uuids(),
    "json": lambda c, b: json_values(),
    "enum": _enum,
    "array": array,
}


def has_factory(family: str) -> bool:
    return family in _REGISTRY

def register_type_strategy(family: str,
                           factory: Factory | SearchStrategy[Any]) -> None:
    """Use `factory(column, backend)` (or a fixed strategy) for every column of `family`.

    For types the built-in mapper does not know (`unknown`: an untyped SQLite column) or
    values your application constrains further (e.g. only ASCII in every `string`).
    """
    if not isinstance(family, str) or family not in FAMILIES:
        raise InvalidArgument(f"family={family!r} must be one of {', '.join(FAMILIES)}")
    if isinstance(factory, SearchStrategy):
        strategy = factory
        _REGISTRY[family] = lambda column, backend: strategy
    elif callable(factory):
        _REGISTRY[family] = factory
    else:
        raise InvalidArgument(f"factory={factory!r} must be a SearchStrategy or a callable "
                              "(column, backend) -> SearchStrategy")


def _check_backend(backend: str) -> None:
    if backend not in BACKENDS:
        raise InvalidArgument(f"backend={backend!r} must be one of {', '.join(BACKENDS)}")


def _unresolvable(table_name: str | None, column: Column, why: str) -> SpecError:
    where = f"{table_name}.{column.name}" if table_name else column.name
    return SpecError(
        f"cannot generate values for {where} (type {column.type}): {why}; pass a strategy "
        f"for it: rows(table, overrides={{{column.name!r}: st.text()}}) or "
        f"DualWrite(strategies={{{column.name!r}: ...}}), or "
        f"register_type_strategy({column.type.family!r}, factory)")


def from_column(column: Column, *, backend: str = "sqlite",
                table_name: str | None = None) -> SearchStrategy[Any]:
    """Values `backend` stores unchanged in `column`; `None` too when it is nullable.

    `table_name` only names the column in the error raised for a type without a strategy.
    """
    _check_backend(backend)
    factory = _REGISTRY.get(column.type.family)
    if factory is None:
        raise _unresolvable(table_name, column, f"no strategy for type family "
                                                f"{column.type.family!r}")
    try:
        strategy = factory(column, backend)
    except (SpecError, InvalidArgument) as exc:
        raise _unresolvable(table_name, column, str(exc)) from None
    if not isinstance(strategy, SearchStrategy):
        raise InvalidArgument(f"the strategy factory for {column.type.family!r} returned "
                              f"{strategy!r}, not a SearchStrategy")
    return st.none() | strategy if column.nullable else strategy


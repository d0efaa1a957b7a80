"""Strategies that build one value from a few choices, with no strategy nested inside.

Why (issue 16): hypothesis charges every strategy draw a span, a validation check and a
node of its data tree, ~30-70 µs, on top of each choice. A column value built from
`one_of`, `map`, `tuples` and `st.datetimes` took 4-9 choices and as many nested draws
(a timestamp: the seven fields of `st.datetimes`, the offset, the `one_of` branch, the
precision `map`), about 100 choices and 170 draws for example_project's products rows.
These subclasses ask hypothesis' `ConjectureData` for the few choices a value needs
directly: a branch, then one integer or one string. A timestamp is 2-4 choices, one draw.

Shrinking is kept: every choice shrinks toward 0, "" or False, branch 0 of `Branches` is
the plain value, and the mappings send 0 to the simplest value (2000-01-01 at midnight,
0, ''). The module uses `SearchStrategy.do_draw(data)` and `ConjectureData.draw_integer
/ draw_string / draw_boolean / draw_bytes`, hypothesis' choice-sequence API, internal
and changed across 6.x (`draw_bytes` took one size before min and max): pyproject's floor
is the version this was written and tested against.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from hypothesis.internal.conjecture.data import ConjectureData
from hypothesis.internal.intervalsets import IntervalSet
from hypothesis.strategies import SearchStrategy

T = TypeVar("T")

# Every code point UTF-8 encodes but NUL (Postgres rejects it in text): what
# `st.characters(exclude_categories=["Cs"], exclude_characters="\x00")` allows.
ANY_CHAR = IntervalSet([(1, 0xD7FF), (0xE000, 0x10FFFF)])


class Flat(SearchStrategy[T]):
    """A strategy that makes its value in `make(data)`; flat children are made inline."""

    def do_draw(self, data: ConjectureData) -> T:
        return self.make(data)

    def make(self, data: ConjectureData) -> T:
        raise NotImplementedError


def make(strategy: SearchStrategy[T], data: ConjectureData) -> T:
    """A child's value: inline when it is flat (no span of its own), else drawn."""
    if isinstance(strategy, Flat):
        return strategy.make(data)
    return data.draw(strategy)


class Const(Flat[T]):
    def __init__(self, value: T) -> None:
        super().__init__()
        self.value = value

    def make(self, data: ConjectureData) -> T:
        return self.value

    def __repr__(self) -> str:
        return f"Const({self.value!r})"


class Pick(Flat[T]):
    """One of `values`, shrinking toward the first."""

    def __init__(self, values: Sequence[T]) -> None:
        super().__init__()
        assert values
        self.values = tuple(values)
        self.top = len(self.values) - 1

    def make(self, data: ConjectureData) -> T:
        return self.values[data.draw_integer(0, self.top) if self.top else 0]

    def __repr__(self) -> str:
        return f"Pick({self.values!r})"


class Ints(Flat[int]):
    """An integer in [low, high], shrinking toward 0 (or the bound nearest it)."""

    def __init__(self, low: int, high: int) -> None:
        super().__init__()
        self.low, self.high = low, high
        self.towards = min(max(0, low), high)

    def make(self, data: ConjectureData) -> int:
        return data.draw_integer(self.low, self.high, shrink_towards=self.towards)

    def __repr__(self) -> str:
        return f"Ints({self.low}, {self.high})"


class Chars(Flat[str]):
    """A string of `min_size`..`max_size` characters of `intervals`: one choice."""

    def __init__(self, intervals: IntervalSet | str, min_size: int, max_size: int) -> None:
        super().__init__()
        self.intervals = intervals if isinstance(intervals, IntervalSet) \
            else IntervalSet.from_string(intervals)
        self.min_size, self.max_size = min(min_size, max_size), max_size

    def make(self, data: ConjectureData) -> str:
        return data.draw_string(self.intervals, min_size=self.min_size,
                                max_size=self.max_size)

    def __repr__(self) -> str:
        return f"Chars(..., {self.min_size}, {self.max_size})"


class Bytes(Flat[bytes]):
    def __init__(self, min_size: int, max_size: int) -> None:
        super().__init__()
        self.min_size, self.max_size = min_size, max_size

    def make(self, data: ConjectureData) -> bytes:
        return data.draw_bytes(self.min_size, self.max_size)


class Branches(Flat[T]):
    """One of `options`, each as likely; shrinks toward the first (the plain value)."""

    def __init__(self, *options: SearchStrategy[Any]) -> None:
        super().__init__()
        self.options = options
        self.top = len(options) - 1

    def make(self, data: ConjectureData) -> T:
        return make(self.options[data.draw_integer(0, self.top)], data)

    def __repr__(self) -> str:
        return f"Branches({', '.join(map(repr, self.options))})"


class Apply(Flat[T]):
    """`fn(*values of parts)`: a map or a tuple without a strategy of its own."""

    def __init__(self, fn: Callable[..., T], *parts: SearchStrategy[Any]) -> None:
        super().__init__()
        self.fn, self.parts = fn, parts

    def make(self, data: ConjectureData) -> T:
        return self.fn(*(make(p, data) for p in self.parts))

    def __repr__(self) -> str:
        return f"Apply({getattr(self.fn, '__name__', self.fn)}, {len(self.parts)} parts)"


def nullable(inner: SearchStrategy[Any]) -> SearchStrategy[Any]:
    """`st.none() | inner` as hypothesis draws it, in fewer choices: None is one more
    branch of a `Branches` (as `one_of` flattens), else half the values (`Nullable`).
    Either way None is what a value shrinks toward."""
    if isinstance(inner, Branches):
        return Branches(Const(None), *inner.options)
    return Nullable(inner)


class Nullable(Flat[Any]):
    """None half the time, else the inner value: one boolean where `st.none() | inner`
    took a branch and a nested draw."""

    def __init__(self, inner: SearchStrategy[Any]) -> None:
        super().__init__()
        self.inner = inner

    def make(self, data: ConjectureData) -> Any:
        if not data.draw_boolean():
            return None
        return make(self.inner, data)

    def __repr__(self) -> str:
        return f"Nullable({self.inner!r})"

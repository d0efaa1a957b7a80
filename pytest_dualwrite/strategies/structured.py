"""JSON documents and Postgres arrays.

An array's elements are drawn by the element's own factory, so `int4[]` holds int4
values, `jsonb[]` JSON documents and `timestamptz[]` aware datetimes, on both backends
(SQLite keeps an array as a JSON list: see `binding.SQLiteArray`).
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.strategies import SearchStrategy

from ..binding import array_element
from ..schema.model import Column
from .hostile import hostile_text
from .text import _chars

ARRAY_MAX = 5


# Values a JSON copy gets wrong: 1 against 1.0 (jsonb keeps the difference in text, a
# float round trip does not), integers past 2**53 (a double loses them; jsonb keeps
# numeric exactly), and empty containers at every depth.
JSON_EDGES: tuple[Any, ...] = (1, 1.0, 0, 2**53 + 1, 2**63 - 1, -(2**63), "", "null",
                               {}, [], {"": None}, {"a": {}}, [[]], [None], {"a": [{}]})


def json_values() -> SearchStrategy[Any]:
    text = st.text(_chars, max_size=20) | hostile_text(20)
    # Numbers JSON keeps exactly everywhere: jsonb stores a number as numeric and prints
    # 2.251799759896167e+16 back as the integer 22517997598961670.
    scalars = (st.booleans() | st.integers(-(2**53), 2**53) | text
               | st.floats(-(2.0**53), 2.0**53, allow_nan=False, allow_infinity=False,
                           allow_subnormal=False))
    edges = st.sampled_from(JSON_EDGES)
    nested = st.recursive(
        st.none() | scalars | edges,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
        max_leaves=8,
    )
    # No top-level None: it is SQL NULL (a nullable column draws it; see binding), and a
    # JSON null at the top is drawn only inside documents, as a member.
    return scalars | edges | st.lists(nested, max_size=4) \
        | st.dictionaries(text, nested, max_size=4)


def array(column: Column, backend: str) -> SearchStrategy[list[Any]]:
    from .registry import from_column

    element = array_element(column.type)
    if element is None:
        raise InvalidArgument(f"no strategy for an array of {column.type.variant!r}")
    # No NULL elements: an ORM's ARRAY type rarely expects them, and a list of them says
    # nothing more about the copy than a NULL column does.
    inner = from_column(Column(column.name, element, nullable=False), backend=backend)
    return st.lists(inner, max_size=ARRAY_MAX)

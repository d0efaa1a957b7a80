"""Rows handed to the user's code, keyed as the database spells the columns.

Schemas compare and look up names folded to lower case; generated rows are keyed that
way too. A quoted column keeps its case in the database ("Mixed Case"), and the user's
code names it so: a `write` is given `{"Mixed Case": ...}`, not `{"mixed case": ...}`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..schema.model import Table


def spelled(table: Table, row: Mapping[str, Any]) -> dict[str, Any]:
    """`row` with each key that names a column of `table` spelled as the database does."""
    names = set(table.column_names)
    return {table.column(k).sql_name if k.lower() in names else k: v for k, v in row.items()}

"""What a table's constraints say about the rows drawn for it: CHECK ... IN lists,
unique keys (as the database's equality sees them) and foreign key targets."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, time
from decimal import Decimal
from typing import Any

import sqlglot

from ..schema.fragments import entry_expression
from ..schema.model import Check, ForeignKey, Schema, Table

Row = dict[str, Any]


def _in_values(check: Check) -> tuple[str, list[Any]] | None:
    """`col IN ('a', 'b')` -> ("col", ["a", "b"]); anything else -> None."""
    try:
        node = sqlglot.parse_one(check.sqltext)
    except sqlglot.errors.SqlglotError:
        return None
    while isinstance(node, sqlglot.exp.Paren):
        node = node.this
    if not isinstance(node, sqlglot.exp.In) or not isinstance(node.this, sqlglot.exp.Column):
        return None
    values: list[Any] = []
    for item in node.expressions:
        if not isinstance(item, sqlglot.exp.Literal):
            return None
        text = str(item.this)
        values.append(text if item.is_string else
                      int(text) if re.fullmatch(r"-?\d+", text) else Decimal(text))
    return node.this.name.lower(), values


def ignored_checks(table: Table) -> list[Check]:
    """The CHECK constraints generated rows do not respect: cover them with overrides."""
    return [c for c in sorted(table.checks) if _in_values(c) is None]


_CASE_FOLDED = re.compile(r"^\s*(lower|upper)\s*\(\s*\"?(\w+)\"?\s*\)\s*$", re.IGNORECASE)


def _unique_sets(table: Table) -> list[tuple[str, ...]]:
    """PRIMARY KEY, UNIQUE and unique-index column sets; partial indexes count as whole
    (stricter than the database, never looser). `lower(email)` is kept as written."""
    sets = [table.primary_key] if table.primary_key else []
    sets += [u.columns for u in sorted(table.uniques)]
    sets += [i.columns for i in sorted(table.indexes) if i.unique]
    return [s for i, s in enumerate(sets) if s and s not in sets[:i]]


def _key_value(value: Any, backend: str, folded: bool, padded: bool) -> Any:
    """A value as the database's equality sees it, for `unique_by`."""
    if padded and isinstance(value, str):
        value = value.rstrip(" ")  # CHAR(n): 'a' and 'a ' are one value
    if folded and isinstance(value, str):
        return value.lower()
    if backend == "sqlite" and isinstance(value, (datetime, time)) and value.tzinfo:
        return value.replace(tzinfo=None)  # SQLite keeps the wall time, not the offset
    return value


def _indexed(entry: str) -> tuple[str, bool]:
    """An index entry as (column, compared case-folded): `lower(email)` -> ("email", True);
    the sort order (`ts DESC`) does not change which rows are equal."""
    entry = entry_expression(entry)
    m = _CASE_FOLDED.match(entry)
    return (m.group(2).lower(), True) if m else (entry, False)


def _unique_by(table: Table, columns: tuple[str, ...],
               backend: str) -> Callable[[Row], tuple[Any, ...]]:
    parts = [(c, folded, table.column(c).type.variant == "char")
             for c, folded in map(_indexed, columns)]
    return lambda r: tuple(_key_value(r.get(c), backend, f, p) for c, f, p in parts)


def _references(fk: ForeignKey, schema: Schema | None, table: Table) -> tuple[str, ...]:
    """The referenced columns; `REFERENCES parent` alone means parent's primary key."""
    if fk.ref_columns:
        return fk.ref_columns
    if fk.ref_table == table.name:
        return table.primary_key
    if schema is not None and schema.has_table(fk.ref_table):
        return schema.table(fk.ref_table).primary_key
    return ()


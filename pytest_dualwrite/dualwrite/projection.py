"""The two sides of a comparison as SELECTs whose output columns carry the compared names."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from ..errors import SpecError
from ..schema.model import ColumnType, Table

__all__ = ["Projection", "table_projection"]


@dataclass(frozen=True)
class Projection:
    """A SELECT whose output columns are named by the compared names.

    `query` is a SQLAlchemy selectable or SELECT text; `types` (compared name -> the
    column's `ColumnType`, from the Schema) is optional and only used to find columns
    whose types differ between the two sides on SQLite, and to bind Python rows in
    `compare_rows`. `label` names the side in messages (a table name, or "new").
    """

    query: sa.Select[Any] | sa.TextClause | str
    label: str = "projection"
    types: Mapping[str, ColumnType] = field(default_factory=dict)

    @classmethod
    def from_sql(cls, sql: str, *, label: str = "query",
                 types: Mapping[str, ColumnType] | None = None) -> Projection:
        """A user's SELECT text; its output columns must carry the compared names."""
        return cls(sql.strip().rstrip(";").strip(), label, dict(types or {}))

    def subquery(self, names: Sequence[str], alias: str) -> sa.Subquery:
        """This projection as `(SELECT ...) AS alias`, exposing `names` as columns."""
        query = self.query
        if isinstance(query, str):  # plain SQL: a ':' is text ('10:30'), not a bind
            query = sa.text(query.replace(":", "\\:"))
        if isinstance(query, sa.TextClause):
            return query.columns(*(sa.column(n) for n in names)).subquery(alias)
        return query.subquery(alias)


def table_projection(table_name: str, key_cols: Sequence[str],
                     columns: Mapping[str, str] | Sequence[str] = (), *,
                     as_names: Sequence[str] | None = None, schema: str | None = None,
                     table: Table | None = None, label: str | None = None) -> Projection:
    """Key and mapped columns of one table, renamed to the names both sides share.

    `key_cols` are this table's key columns, renamed to `as_names` (default: unchanged).
    `columns` maps a compared name to this table's column (`{"description":
    "research_context"}`), or lists columns compared under their own name. Identifiers are
    quoted by SQLAlchemy, never pasted into SQL. With `table` (the Schema's), each compared
    name carries the column's type.
    """
    names = list(as_names) if as_names is not None else list(key_cols)
    if len(names) != len(key_cols):
        raise SpecError(f"{table_name}: {len(key_cols)} key columns {list(key_cols)} but "
                        f"{len(names)} names {names}")
    mapped = dict(columns) if isinstance(columns, Mapping) else {c: c for c in columns}
    pairs = [*zip(names, key_cols, strict=True),
             *((name, col) for name, col in mapped.items() if name not in names)]
    source = sa.table(table_name, *(sa.column(col) for _, col in pairs), schema=schema)
    query = sa.select(*(source.c[col].label(name) for name, col in pairs))
    types = {}
    if table is not None:
        types = {name: table.column(col).type for name, col in pairs
                 if col.lower() in table.column_names}
    return Projection(query, label or table_name, types)

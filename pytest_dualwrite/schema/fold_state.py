"""The fold's state: the tables, indexes and enums the migrations have built so far.

Its own module so the CREATE and ALTER halves of the fold (`fold_create`, `fold_alter`)
share one typed declaration of that state and of the name helpers they both use.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlglot import exp

from ..migrations.model import canonical_dialect
from .model import Check, Column, ForeignKey, Index, Unique


def _name(text: str) -> str:
    return text.strip('"').rsplit(".", 1)[-1].strip('"').lower()


def _table_name(node: exp.Expression) -> str:
    """`public.users` and `users` are one table; another schema keeps its prefix."""
    schema = node.args.get("db")
    prefix = schema.name.lower() if isinstance(schema, exp.Expression) else ""
    name = node.name.lower()
    return f"{prefix}.{name}" if prefix not in ("", "public", "main") else name


def _ident(node: exp.Expression) -> str:
    if isinstance(node, exp.Ordered):
        node = node.this
    return node.name.lower()


@dataclass
class _Table:
    name: str
    columns: dict[str, Column] = field(default_factory=dict)
    primary_key: tuple[str, ...] = ()
    pk_name: str | None = None
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    uniques: list[Unique] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)


class _FoldState:
    """What every part of the fold reads and moves on: the schema so far."""

    def __init__(self, dialect: str) -> None:
        self.dialect = canonical_dialect(dialect)
        self.tables: dict[str, _Table] = {}
        self.indexes: dict[str, tuple[str, Index]] = {}  # index names are schema-wide
        self.enums: dict[str, tuple[str, ...]] = {}
        self.notes: list[str] = []

"""The fold's CREATE side: tables, columns, constraints, foreign keys, indexes and enums.

A module of its own so `from_sql` stays a dispatcher; ALTER TABLE ... ADD COLUMN and
ADD CONSTRAINT reuse these methods, which is why `fold_alter` builds on this class.
"""

from __future__ import annotations

import re
from itertools import chain
from operator import attrgetter

from sqlglot import exp

from .fold_state import _FoldState, _ident, _name, _Table, _table_name
from .fragments import (
    canonical_default,
    canonical_sql,
    columns_of_sql,
    index_entry,
    is_sequence_default,
)
from .model import Check, Column, ColumnType, ForeignKey, Index, Unique
from .types import SERIAL_TYPES, from_sqlglot

_NAME = attrgetter("name")
_PK_NAME = attrgetter("pk_name")
_NAMED_ITEMS = attrgetter("uniques", "foreign_keys", "checks")
_ACTION = re.compile(
    r"ON\s+(DELETE|UPDATE)\s+(CASCADE|RESTRICT|NO\s+ACTION|SET\s+NULL|SET\s+DEFAULT)", re.I)


class _CreateFold(_FoldState):
    """CREATE TABLE / INDEX / TYPE / SEQUENCE, and the implicit names Postgres gives."""

    # --- CREATE -------------------------------------------------------------------------
    def _create(self, node: exp.Create) -> bool:
        kind = str(node.args.get("kind") or "").upper()
        if kind == "TABLE":
            return self._create_table(node)
        if kind == "INDEX":
            return self._create_index(node)
        if kind == "TYPE":
            dtype = node.args.get("expression")
            if not (isinstance(dtype, exp.DataType) and dtype.this == exp.DataType.Type.ENUM):
                return False
            self.enums[_name(node.this.name)] = tuple(e.name for e in dtype.expressions)
            return True
        return kind == "SEQUENCE"  # a sequence alone is not part of the compared schema

    def _create_table(self, node: exp.Create) -> bool:
        target = node.this
        if not isinstance(target, exp.Schema):  # CREATE TABLE ... AS SELECT: columns unknown
            return False
        name = _table_name(target.this)
        if name in self.tables and node.args.get("exists"):
            return True
        table = self.tables[name] = _Table(name)
        folded = True
        for item in target.expressions:
            if isinstance(item, exp.ColumnDef):
                folded &= self._add_column(table, item)
            elif isinstance(item, exp.Identifier):  # SQLite allows a column without a type
                table.columns[item.name.lower()] = Column(item.name.lower(), ColumnType("unknown"))
            else:
                folded &= self._add_constraint(table, item)
        return folded

    def _add_column(self, table: _Table, coldef: exp.ColumnDef) -> bool:
        name = coldef.name.lower()
        if name in table.columns and coldef.args.get("exists"):
            return True
        dtype = coldef.args.get("kind")
        ctype, serial = ColumnType("unknown"), False
        if isinstance(dtype, exp.DataType):
            ctype, serial = from_sqlglot(dtype, self.enums), dtype.this in SERIAL_TYPES
        nullable, default, autoincrement = not serial, None, serial
        folded = True
        for constraint in coldef.constraints:
            kind, cname = constraint.args.get("kind"), constraint.name.lower() or None
            if isinstance(kind, exp.NotNullColumnConstraint):
                nullable = bool(kind.args.get("allow_null"))
            elif isinstance(kind, exp.DefaultColumnConstraint):
                default, sequence = self._default(ctype, kind.this)
                autoincrement = autoincrement or sequence
            elif (isinstance(kind, exp.GeneratedAsIdentityColumnConstraint)
                  and not kind.args.get("expression")):
                autoincrement, nullable = True, False
            elif isinstance(kind, exp.AutoIncrementColumnConstraint):
                autoincrement = True
            elif isinstance(kind, exp.PrimaryKeyColumnConstraint):
                table.primary_key, table.pk_name = (name,), cname
            elif isinstance(kind, exp.UniqueColumnConstraint):
                cname = cname or self._free(f"{table.name}_{name}_key")
                table.uniques.append(Unique((name,), cname))
            elif isinstance(kind, exp.CheckColumnConstraint):
                text = canonical_sql(kind.this, self.dialect)
                table.checks.append(Check(text, cname or self._free(f"{table.name}_{name}_check")))
            elif isinstance(kind, exp.Reference):
                table.foreign_keys.append(self._foreign_key(table, (name,), kind, cname))
            elif not isinstance(kind, (exp.CollateColumnConstraint, exp.CommentColumnConstraint,
                                       exp.ComputedColumnConstraint,
                                       exp.GeneratedAsIdentityColumnConstraint)):
                folded = False
        table.columns[name] = Column(name, ctype, nullable, default, autoincrement)
        return folded

    def _default(self, ctype: ColumnType, default: exp.Expression) -> tuple[str | None, bool]:
        """(canonical text, False), or (None, True) for DEFAULT nextval('seq'): what
        SERIAL spells out, so the column numbers itself and has no default of its own."""
        text = canonical_default(default, self.dialect, ctype)
        return (None, True) if is_sequence_default(text) else (text, False)

    def _add_constraint(self, table: _Table, item: exp.Expression, name: str | None = None) -> bool:
        if isinstance(item, exp.Constraint):
            cname = item.name.lower() or None
            return all([self._add_constraint(table, e, cname) for e in item.expressions])
        if isinstance(item, exp.PrimaryKey):
            table.primary_key, table.pk_name = tuple(_ident(e) for e in item.expressions), name
        elif isinstance(item, exp.UniqueColumnConstraint) and isinstance(item.this, exp.Schema):
            cols = tuple(_ident(e) for e in item.this.expressions)
            name = name or self._free(f"{table.name}_{'_'.join(cols)}_key")
            table.uniques.append(Unique(cols, name))
        elif isinstance(item, exp.CheckColumnConstraint):
            text = canonical_sql(item.this, self.dialect)
            used = sorted(columns_of_sql(text))
            base = f"{table.name}_{used[0]}_check" if len(used) == 1 else f"{table.name}_check"
            table.checks.append(Check(text, name or self._free(base)))
        elif isinstance(item, exp.ForeignKey):
            cols = tuple(_ident(e) for e in item.expressions)
            table.foreign_keys.append(self._foreign_key(table, cols, item.args["reference"], name))
        else:
            return False
        return True

    def _foreign_key(self, table: _Table, cols: tuple[str, ...], ref: exp.Reference,
                     name: str | None) -> ForeignKey:
        target = ref.this
        if isinstance(target, exp.Schema):
            ref_table = _table_name(target.this)
            ref_cols = tuple(_ident(e) for e in target.expressions)
        else:
            ref_table, ref_cols = _table_name(target), ()  # the referenced table's primary key
        actions = {"DELETE": "NO ACTION", "UPDATE": "NO ACTION"}
        for option in ref.args.get("options") or []:
            text = option.sql() if isinstance(option, exp.Expression) else str(option)
            for event, action in _ACTION.findall(text):
                actions[event.upper()] = " ".join(action.upper().split())
        name = name or self._free(f"{table.name}_{'_'.join(cols)}_fkey")
        return ForeignKey(cols, ref_table, ref_cols, actions["DELETE"], actions["UPDATE"], name)

    def _create_index(self, node: exp.Create) -> bool:
        index = node.this
        table_name = _table_name(index.args["table"])
        if table_name not in self.tables:
            return False
        name = index.name.lower() or None
        if name in self.indexes and node.args.get("exists"):
            return True
        params = index.args.get("params")
        elements = (params.args.get("columns") or []) if params else []
        columns = tuple(self._index_element(e) for e in elements)
        where = params.args.get("where") if params else None
        plain = [c for c in columns if c.isidentifier()] or ["expr"]
        name = name or self._free(f"{table_name}_{'_'.join(plain)}_idx")
        self.indexes[name] = (table_name, Index(
            columns, unique=bool(node.args.get("unique")),
            where=canonical_sql(where.this, self.dialect) if where else None, name=name))
        return True

    def _index_element(self, node: exp.Expression) -> str:
        descending = False
        if isinstance(node, exp.Ordered):
            descending = bool(node.args.get("desc"))
            node = node.this
        if isinstance(node, exp.Column):
            return index_entry(node.name.lower(), descending)
        return index_entry(canonical_sql(node, self.dialect), descending)

    # --- implicit names -----------------------------------------------------------------
    def _free(self, base: str) -> str:
        """Postgres's implicit name: `base`, else `base1`, `base2`... (names are unique)."""
        # One pass over every table's names, in C (None where unnamed: `base` never is).
        tables = self.tables.values()
        used = set(self.indexes)
        used.update(map(_PK_NAME, tables))
        used.update(map(_NAME, chain.from_iterable(chain.from_iterable(
            map(_NAMED_ITEMS, tables)))))
        name, n = base, 0
        while name in used:
            n += 1
            name = f"{base}{n}"
        return name

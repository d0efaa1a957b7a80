"""The fold's ALTER, DROP and RENAME side: how a table, column, constraint or index changes.

A module of its own so `from_sql` stays a dispatcher; it builds on `_CreateFold` because
ALTER TABLE ... ADD COLUMN / ADD CONSTRAINT fold exactly as they do in CREATE TABLE.
"""

from __future__ import annotations

from dataclasses import replace

from sqlglot import exp

from .fold_create import _CreateFold
from .fold_state import _name, _Table, _table_name
from .fragments import columns_of_sql, entry_expression, rename_column_sql
from .model import Column, Index
from .types import from_sqlglot


class _AlterFold(_CreateFold):
    """ALTER TABLE / INDEX, DROP TABLE / INDEX / TYPE, and the renames they carry along."""

    # --- ALTER --------------------------------------------------------------------------
    def _alter(self, node: exp.Alter) -> bool:
        kind = str(node.args.get("kind") or "").upper()
        actions = node.args.get("actions") or []
        if kind == "INDEX" and len(actions) == 1 and isinstance(actions[0], exp.AlterRename):
            entry = self.indexes.pop(node.this.name.lower(), None)
            if entry:
                new = actions[0].this.name.lower()
                self.indexes[new] = (entry[0], replace(entry[1], name=new))
            return entry is not None or bool(node.args.get("exists"))
        if kind != "TABLE":
            return False
        table = self.tables.get(_table_name(node.this))
        if table is None:
            return bool(node.args.get("exists"))
        return all([self._alter_action(table, action) for action in actions])

    def _alter_action(self, table: _Table, action: exp.Expression) -> bool:
        if isinstance(action, exp.ColumnDef):
            return self._add_column(table, action)
        if isinstance(action, exp.AddConstraint):
            return all([self._add_constraint(table, e) for e in action.expressions])
        if isinstance(action, exp.Drop):
            kind = str(action.args.get("kind") or "").upper()
            targets = [t.name.lower() for t in action.args.get("tables") or []]
            if kind == "COLUMN":
                found = [self._drop_column(table, c) for c in targets]
            elif kind == "CONSTRAINT":
                found = [self._drop_constraint(table, c) for c in targets]
            else:
                return False
            return all(found) or bool(action.args.get("exists"))
        if isinstance(action, exp.RenameColumn):
            old, new = action.this.name.lower(), action.args["to"].name.lower()
            if old not in table.columns:
                return False
            self._rename_column(table, old, new)
            return True
        if isinstance(action, exp.AlterColumn):
            return self._alter_column(table, action)
        if isinstance(action, exp.AlterRename):
            self._rename_table(table, _table_name(action.this))
            return True
        return False

    def _alter_column(self, table: _Table, action: exp.AlterColumn) -> bool:
        name = action.name.lower()
        column = table.columns.get(name)
        if column is None:
            return False
        dtype, allow_null, default = (action.args.get(k)
                                      for k in ("dtype", "allow_null", "default"))
        if isinstance(dtype, exp.DataType):
            column = replace(column, type=from_sqlglot(dtype, self.enums))
        elif allow_null is not None:
            column = replace(column, nullable=bool(allow_null))
        elif default is not None:
            column = self._with_default(column, default)
        elif action.args.get("drop"):
            column = replace(column, default=None)
        else:
            return False
        table.columns[name] = column
        return True

    def _with_default(self, column: Column, default: exp.Expression) -> Column:
        text, sequence = self._default(column.type, default)
        if sequence:
            return replace(column, default=None, autoincrement=True)
        return replace(column, default=text)
    def _drop_column(self, table: _Table, name: str) -> bool:
        """Postgres drops every index and constraint that uses the column along with it."""
        if table.columns.pop(name, None) is None:
            return False
        if name in table.primary_key:
            table.primary_key, table.pk_name = (), None
        table.uniques = [u for u in table.uniques if name not in u.columns]
        table.foreign_keys = [f for f in table.foreign_keys if name not in f.columns]
        table.checks = [c for c in table.checks if name not in columns_of_sql(c.sqltext)]
        for other in self.tables.values():
            other.foreign_keys = [f for f in other.foreign_keys
                                  if not (f.ref_table == table.name and name in f.ref_columns)]
        for key, (owner, index) in list(self.indexes.items()):
            if owner == table.name and name in _index_columns(index):
                del self.indexes[key]
        return True

    def _drop_constraint(self, table: _Table, name: str) -> bool:
        if name in (table.pk_name, f"{table.name}_pkey") and table.primary_key:
            table.primary_key, table.pk_name = (), None
            return True
        for attr in ("uniques", "foreign_keys", "checks"):
            items = getattr(table, attr)
            kept = [i for i in items if i.name != name]
            if len(kept) != len(items):
                setattr(table, attr, kept)
                return True
        return False

    def _rename_constraint(self, table_name: str, old: str, new: str) -> bool:
        table = self.tables.get(table_name)
        if table is None:
            return False
        if old in (table.pk_name, f"{table.name}_pkey") and table.primary_key:
            table.pk_name = new
            return True
        for attr in ("uniques", "foreign_keys", "checks"):
            items = getattr(table, attr)
            if any(i.name == old for i in items):
                setattr(table, attr, [replace(i, name=new) if i.name == old else i for i in items])
                return True
        return False

    def _rename_column(self, table: _Table, old: str, new: str) -> None:
        def ren(cols: tuple[str, ...]) -> tuple[str, ...]:
            return tuple(new if c == old else c for c in cols)

        table.columns = {new if k == old else k: replace(c, name=new) if k == old else c
                         for k, c in table.columns.items()}
        table.primary_key = ren(table.primary_key)
        table.uniques = [replace(u, columns=ren(u.columns)) for u in table.uniques]
        table.foreign_keys = [replace(f, columns=ren(f.columns)) for f in table.foreign_keys]
        table.checks = [replace(c, sqltext=rename_column_sql(c.sqltext, old, new))
                        for c in table.checks]
        for other in self.tables.values():
            other.foreign_keys = [
                replace(f, ref_columns=ren(f.ref_columns)) if f.ref_table == table.name else f
                for f in other.foreign_keys]
        for key, (owner, index) in list(self.indexes.items()):
            if owner == table.name:
                columns = tuple(new if c == old else c if c.isidentifier() else
                                rename_column_sql(c, old, new) for c in index.columns)
                where = rename_column_sql(index.where, old, new) if index.where else None
                self.indexes[key] = (owner, replace(index, columns=columns, where=where))

    def _rename_table(self, table: _Table, new: str) -> None:
        old = table.name
        del self.tables[old]
        table.name = new
        self.tables[new] = table
        for other in self.tables.values():
            other.foreign_keys = [replace(f, ref_table=new) if f.ref_table == old else f
                                  for f in other.foreign_keys]
        for key, (owner, index) in list(self.indexes.items()):
            if owner == old:
                self.indexes[key] = (new, index)

    # --- DROP ---------------------------------------------------------------------------
    def _drop(self, node: exp.Drop) -> bool:
        kind = str(node.args.get("kind") or "").upper()
        exists = bool(node.args.get("exists"))
        found = []
        for target in node.args.get("tables") or []:
            if kind == "TABLE":
                name = _table_name(target)
                found.append(self.tables.pop(name, None) is not None)
                for other in self.tables.values():
                    other.foreign_keys = [f for f in other.foreign_keys if f.ref_table != name]
                self.indexes = {k: v for k, v in self.indexes.items() if v[0] != name}
            elif kind == "INDEX":
                found.append(self.indexes.pop(target.name.lower(), None) is not None)
            elif kind == "TYPE":
                found.append(self.enums.pop(_name(target.name), None) is not None)
            elif kind == "SEQUENCE":
                found.append(True)
            else:
                return False
        return all(found) or exists


def _index_columns(index: Index) -> set[str]:
    entries = [entry_expression(c) for c in index.columns]
    used = {c for c in entries if c.isidentifier()}
    for element in entries:
        if not element.isidentifier():
            used |= columns_of_sql(element)
    return used | (set(columns_of_sql(index.where)) if index.where else set())


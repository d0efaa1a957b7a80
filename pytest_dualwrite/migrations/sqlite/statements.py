"""One parsed statement rewritten into the SQLite statements that mean the same.

`to_sqlite(tree, enums)` dispatches by statement: CREATE TABLE (SERIAL as the rowid,
types and defaults via `types`), CREATE INDEX (`indexes`), views, ALTER TABLE (one action
per statement), TRUNCATE, DROP; then fixes every expression (`expressions`). A statement
SQLite cannot run raises Skip (`unrunnable`) or Unsupported.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlglot import exp

from .expressions import fix_expression
from .indexes import fix_collation, fix_index, inline_index, unnamed
from .lateral import unlateral
from .table import columns_first
from .types import (
    LIMIT_CHECK_SUFFIX,
    SERIALS,
    Unsupported,
    column_type,
    fix_default,
    not_null,
    parenthesize_default,
    refuse_sequence,
)
from .unrunnable import Skip, refuse_or_skip

ALTER_ACTIONS = (exp.ColumnDef, exp.AlterColumn, exp.AddConstraint, exp.Drop,
                 exp.RenameColumn, exp.AlterRename)


@dataclass
class Rewritten:
    """SQLite statements for one source statement, and what was changed on purpose."""

    trees: list[exp.Expr]
    adjusted: list[str] = field(default_factory=list)


def to_sqlite(tree: exp.Expr, enums: Mapping[str, tuple[str, ...]]) -> Rewritten:
    """The SQLite statements meaning `tree`; raises Skip or Unsupported."""
    return _Fixer(enums).statement(tree.copy())


def needs_apply_time(tree: exp.Expr) -> bool:
    """True for what `sqlite_rebuild_statements` must expand at apply time: an ALTER TABLE
    SQLite lacks, an unnamed index, DROP SCHEMA public."""
    if unnamed(tree) or drops_public(tree):
        return True
    if not isinstance(tree, exp.Alter) or len(tree.args.get("actions") or []) != 1:
        return False
    action = tree.args["actions"][0]
    if tree.args.get("exists") or action.args.get("exists"):
        return True
    if isinstance(action, exp.ColumnDef):
        return not native_add_column(action)
    return not isinstance(action, exp.AlterRename)  # a column rename: views kept (views)


class _Fixer:
    def __init__(self, enums: Mapping[str, tuple[str, ...]]) -> None:
        self.enums = enums
        self.adjusted: list[str] = []

    def statement(self, tree: exp.Expr) -> Rewritten:
        refuse_or_skip(tree)
        kind = str(tree.args.get("kind") or "").upper()
        if drops_public(tree):
            return Rewritten([tree])  # done at apply time, on the tables there are then
        if isinstance(tree, exp.Drop) and kind == "SCHEMA":
            if tree.args.get("exists"):
                raise Skip("SQLite has no other schema than its own")
            raise Unsupported("SQLite has no schemas")
        trees: list[exp.Expr] = [tree]
        if isinstance(tree, exp.Create) and kind == "TABLE":
            trees += self.create_table(tree)
        if isinstance(tree, exp.Create) and kind == "INDEX":
            fix_index(tree, self.adjusted)
        elif isinstance(tree, exp.Create) and kind == "VIEW":
            trees = self.create_view(tree)
        elif isinstance(tree, exp.Drop):
            if kind == "TRIGGER" and tree.args.get("cluster") is not None:
                tree.set("cluster", None)  # SQLite's trigger names are its own, no ON table
                tree.set("exists", True)  # the trigger may have been skipped (unrunnable)
            if tree.args.get("materialized"):
                tree.set("materialized", False)  # it was made a plain view
            for arg in ("cascade", "concurrently"):
                if tree.args.get(arg):
                    tree.set(arg, False)
                    self.adjusted.append(f"{arg.upper()} dropped (SQLite has no such option)")
        elif isinstance(tree, exp.TruncateTable):
            self.adjusted.append("TRUNCATE becomes DELETE FROM")
            trees = [exp.Delete(this=t) for t in tree.expressions]
        elif isinstance(tree, exp.Alter):
            trees = self.alter(tree)
        elif isinstance(tree, exp.Insert):
            _insert_select(tree)
        for t in trees:
            unlateral(t)
        trees = [t.transform(fix_expression) for t in trees]
        for t in trees:
            for default in t.find_all(exp.DefaultColumnConstraint):
                parenthesize_default(default)
        return Rewritten(trees, self.adjusted)

    # --- tables and columns ----------------------------------------------------------------
    def create_table(self, tree: exp.Create) -> list[exp.Expr]:
        """Fix a CREATE TABLE in place; returns the CREATE INDEXes of MySQL's inline KEYs."""
        props = tree.args.get("properties")
        if props is not None:
            kept = [p for p in props.expressions if isinstance(p, exp.TemporaryProperty)]
            for p in props.expressions:
                if p not in kept:
                    self.adjusted.append(f"table option {p.sql('postgres')} dropped")
            tree.set("properties", exp.Properties(expressions=kept) if kept else None)
        schema = tree.this
        if not isinstance(schema, exp.Schema):
            return []
        table = schema.this.name
        columns_first(schema)
        indexes = [inline_index(table, node) for node in list(schema.expressions)
                   if isinstance(node, exp.IndexColumnConstraint)]
        for node in schema.expressions:
            named = node.this if isinstance(node, exp.UniqueColumnConstraint) else None
            if isinstance(named, exp.Schema) and named.this is not None:  # UNIQUE KEY name (..)
                node.replace(exp.Constraint(this=named.this, expressions=[
                    exp.UniqueColumnConstraint(this=exp.Schema(expressions=named.expressions))]))
        table_pk = next((c for c in schema.expressions if _table_pk_columns(c)), None)
        pk_columns = _table_pk_columns(table_pk) if table_pk is not None else []
        for column in schema.find_all(exp.ColumnDef):
            in_table_pk = pk_columns == [column.name.lower()]
            if self.column(column, table, in_table_pk):
                if in_table_pk:
                    table_pk.pop()  # type: ignore[union-attr]  # now on the column itself
                continue
            kinds = [c.kind for c in column.constraints]
            if (column.name.lower() in pk_columns or any(
                    isinstance(k, exp.PrimaryKeyColumnConstraint) for k in kinds)) and not any(
                    not_null(k) for k in kinds):
                # Postgres keys are NOT NULL; SQLite lets NULL into a non-INTEGER key
                column.append("constraints",
                              exp.ColumnConstraint(kind=exp.NotNullColumnConstraint()))
        return indexes

    def column(self, column: exp.ColumnDef, table: str, in_table_pk: bool = False) -> bool:
        """Fix one column definition; True when it became INTEGER PRIMARY KEY AUTOINCREMENT."""
        kind: exp.DataType | None = column.args.get("kind")
        constraints = [c for c in column.constraints if isinstance(c, exp.ColumnConstraint)]
        kinds = [c.kind for c in constraints]
        is_pk = in_table_pk or any(isinstance(k, exp.PrimaryKeyColumnConstraint) for k in kinds)
        counts = (kind is not None and kind.this in SERIALS) or any(
            isinstance(k, exp.AutoIncrementColumnConstraint)
            or (isinstance(k, exp.GeneratedAsIdentityColumnConstraint) and k.expression is None)
            for k in kinds)
        if counts:
            if not is_pk:
                raise Unsupported(
                    f"column {column.name} numbers itself but is not the primary key; SQLite "
                    f"can only autoincrement an INTEGER PRIMARY KEY")
            name = next((c.this for c in constraints
                         if isinstance(c.kind, exp.PrimaryKeyColumnConstraint)), None)
            keep = [c for c in constraints if not isinstance(c.kind, (
                exp.PrimaryKeyColumnConstraint, exp.AutoIncrementColumnConstraint,
                exp.GeneratedAsIdentityColumnConstraint, exp.NotNullColumnConstraint))]
            column.set("kind", exp.DataType.build("INT"))
            column.set("constraints", [
                exp.ColumnConstraint(this=name, kind=exp.PrimaryKeyColumnConstraint()),
                exp.ColumnConstraint(kind=exp.AutoIncrementColumnConstraint()), *keep])
            return True
        if kind is not None:
            column.set("kind", column_type(column, kind, self.enums, self.adjusted))
        for c in constraints:
            if isinstance(c.kind, exp.OnUpdateColumnConstraint):
                self.adjusted.append(f"ON UPDATE of column {column.name} dropped (SQLite has "
                                     f"none; write a trigger in a stand-in if it matters)")
                c.pop()
            elif isinstance(c.kind, exp.CollateColumnConstraint):
                fix_collation(c, self.adjusted)
            elif isinstance(c.kind, exp.DefaultColumnConstraint):
                fix_default(column, kind, c.kind)
        return False

    # --- views, ALTER ----------------------------------------------------------------------
    def create_view(self, tree: exp.Create) -> list[exp.Expr]:
        props = tree.args.get("properties")
        if props is not None and props.find(exp.MaterializedProperty):
            self.adjusted.append("materialized view becomes a plain view (always fresh)")
            tree.set("properties", None)
        if not tree.args.get("replace"):
            return [tree]
        tree.set("replace", False)
        drop = exp.Drop(tables=[tree.this.copy()], kind="VIEW", exists=True)
        return [drop, tree]

    def alter(self, tree: exp.Alter) -> list[exp.Expr]:
        """One ALTER per action (SQLite takes one); column types fixed like CREATE TABLE's."""
        if str(tree.args.get("kind") or "").upper() != "TABLE":
            return [tree]
        tree.set("only", False)
        out: list[exp.Expr] = []
        table = tree.this.name
        for action in tree.args.get("actions") or []:
            if not isinstance(action, ALTER_ACTIONS):
                raise Unsupported(f"SQLite has no form of this ALTER TABLE action "
                                  f"({action.key.upper()})")
            if isinstance(action, exp.ColumnDef):
                self.column(action, table)
            elif isinstance(action, exp.AlterColumn) and action.args.get("dtype") is not None:
                out.extend(self.alter_type(tree, action))
                continue
            elif isinstance(action, exp.AlterColumn) and action.args.get("default"):
                refuse_sequence(action.name, action.args["default"])
            single = tree.copy()
            single.set("actions", [action.copy()])
            out.append(single)
        return out

    def alter_type(self, tree: exp.Alter, action: exp.AlterColumn) -> list[exp.Expr]:
        """ALTER COLUMN TYPE; to an enum it is TYPE TEXT plus the enum's CHECK."""
        probe = exp.ColumnDef(this=action.this.copy(), kind=action.args["dtype"].copy())
        new_type = column_type(probe, action.args["dtype"], self.enums, self.adjusted)
        action = action.copy()
        action.set("dtype", new_type)
        actions: list[exp.Expr] = [action]
        for c in probe.constraints:  # the enum CHECK, as a named table constraint
            if c.name.endswith(LIMIT_CHECK_SUFFIX):
                continue  # the rebuild puts it on the column (`rebuild.change_type`)
            actions.append(exp.AddConstraint(expressions=[
                exp.Constraint(this=c.this, expressions=[c.kind])]))
        out: list[exp.Expr] = []
        for a in actions:
            single = tree.copy()
            single.set("actions", [a])
            out.append(single)
        return out


def _insert_select(tree: exp.Insert) -> None:
    """INSERT ... (SELECT ...) without the parentheses SQLite refuses; an upsert from a
    SELECT needs a WHERE in SQLite (its parser would read ON CONFLICT as a join's ON)."""
    query = tree.expression
    while isinstance(query, exp.Subquery):
        query = query.this
    if query is not tree.expression:
        tree.set("expression", query)
    if tree.args.get("conflict") is not None and isinstance(query, exp.Select) and (
            query.args.get("where") is None):
        query.where(exp.true(), copy=False)


def drops_public(tree: exp.Expr) -> bool:
    """`DROP SCHEMA public [CASCADE]`: on SQLite, dropping every table and view."""
    if not isinstance(tree, exp.Drop) or str(tree.args.get("kind")).upper() != "SCHEMA":
        return False
    names = [t.text("db") or t.name for t in tree.args.get("tables") or []]
    return [n.lower() for n in names] == ["public"]


def _table_pk_columns(node: exp.Expr) -> list[str]:
    if isinstance(node, exp.Constraint):
        node = next((e for e in node.expressions if isinstance(e, exp.PrimaryKey)), node)
    if not isinstance(node, exp.PrimaryKey):
        return []
    return [e.name.lower() for e in node.expressions]


def native_add_column(column: exp.ColumnDef) -> bool:
    """Whether SQLite's own ADD COLUMN takes this definition as Postgres means it."""
    kinds = [c.kind for c in column.constraints if isinstance(c, exp.ColumnConstraint)]
    if any(isinstance(k, (exp.PrimaryKeyColumnConstraint, exp.UniqueColumnConstraint,
                          exp.ComputedColumnConstraint)) for k in kinds):
        return False
    default = next((k.this for k in kinds if isinstance(k, exp.DefaultColumnConstraint)), None)
    if default is not None and not isinstance(default, (exp.Literal, exp.Boolean, exp.Neg)):
        return False
    nn = any(not_null(k) for k in kinds)
    return not nn or default is not None

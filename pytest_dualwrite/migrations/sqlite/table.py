"""A SQLite table's stored definition, read and written: what the apply-time ALTERs
(`rebuild`) and enum widening edit. Declared types are kept as SQLite recorded them."""

from __future__ import annotations

from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from .types import DT, ENUM_CHECK_SUFFIX, DualwriteSQLite, generate

BUMP_TABLE = "dualwrite_schema_bump"  # created and dropped at once, to move the cookie


class Refused(Exception):
    """An apply-time ALTER that cannot be done; str() is the reason (no file:line)."""


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def read_table(conn: Any, table: str) -> tuple[str, exp.Create] | None:
    """(stored name, definition) of a table, or None; declared types kept as written.

    Regenerating `INT PRIMARY KEY` as `INTEGER PRIMARY KEY` would silently make it the
    rowid, so each column's type is the text SQLite recorded.
    """
    row = conn.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'table' "
                               "AND lower(name) = lower(?)", (table,)).first()
    if row is None:
        return None
    try:
        tree = sqlglot.parse_one(row[1], read=DualwriteSQLite)
    except ParseError:
        tree = None
    if not isinstance(tree, exp.Create) or not isinstance(tree.this, exp.Schema):
        raise Refused(f"sqlglot cannot read the SQLite definition of table {row[0]}")
    declared = {r[1].lower(): r[2] for r in conn.exec_driver_sql(
        f"PRAGMA table_xinfo({quote(row[0])})")}
    for column in tree.this.expressions:
        if isinstance(column, exp.ColumnDef):
            text = declared.get(column.name.lower())
            column.set("kind", exp.DataType(this=DT.USERDEFINED, kind=text) if text else None)
    return row[0], tree


def columns_first(schema: exp.Schema) -> None:
    """Every column definition before the first table constraint: SQLite's grammar wants
    them so, where Postgres takes them in any order."""
    items = list(schema.expressions)
    ordered = sorted(items, key=lambda e: not isinstance(e, exp.ColumnDef))  # stable
    if ordered != items:
        schema.set("expressions", ordered)


def add_column_def(tree: exp.Create, column: exp.ColumnDef) -> None:
    """`column` after the table's last column, before its table constraints."""
    items = list(tree.this.expressions)
    at = max((i + 1 for i, e in enumerate(items) if isinstance(e, exp.ColumnDef)), default=0)
    tree.this.set("expressions", [*items[:at], column, *items[at:]])


def write_in_place(table: str, tree: exp.Create) -> list[str]:
    """Store a new definition of the same layout: SQLite's writable_schema procedure."""
    return [
        "PRAGMA writable_schema=ON",
        f"UPDATE sqlite_master SET sql = {_literal(generate(tree))} "
        f"WHERE type = 'table' AND name = {_literal(table)}",
        "PRAGMA writable_schema=RESET",  # this connection rereads the schema
    ]


# Any DDL moves the schema cookie, so other connections reread the edited schema too.
SCHEMA_CHANGED = [f"CREATE TABLE {BUMP_TABLE} (x)", f"DROP TABLE {BUMP_TABLE}"]


def enum_value_statements(conn: Any, enum: str, value: str,
                          position: tuple[str, str] | None = None) -> list[str]:
    """`ALTER TYPE enum ADD VALUE`: widen the CHECK standing in for the enum, everywhere.

    `position` is ("BEFORE" | "AFTER", neighbour), as Postgres writes it.
    """
    name = f"{enum}{ENUM_CHECK_SUFFIX}".lower()
    out: list[str] = []
    tables = conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table' AND "
                                  "instr(lower(sql), ?) > 0", (name,)).scalars().all()
    for table in tables:
        stored, tree = read_table(conn, table)  # type: ignore[misc]
        changed = False
        for c in tree.find_all(exp.ColumnConstraint):
            check = c.kind.this if isinstance(c.kind, exp.CheckColumnConstraint) else None
            if c.this is None or c.name.lower() != name or not isinstance(check, exp.In):
                continue
            values = [e.name for e in check.expressions]
            if value not in values:
                values = with_value(values, value, position)
                check.set("expressions", [exp.Literal.string(v) for v in values])
                changed = True
        if changed:
            out += write_in_place(stored, tree)
    return [*out, *SCHEMA_CHANGED] if out else []


def with_value(values: list[str], value: str,
               position: tuple[str, str] | None = None) -> list[str]:
    """An enum's values after ADD VALUE (at the end, or BEFORE/AFTER a neighbour)."""
    if value in values:
        return values
    at = len(values)
    if position is not None and position[1] in values:
        at = values.index(position[1]) + (position[0] == "AFTER")
    return [*values[:at], value, *values[at:]]


def enum_check_column(name: str | None, check: exp.CheckColumnConstraint) -> str | None:
    if not name or not name.endswith(ENUM_CHECK_SUFFIX) or not isinstance(check.this, exp.In):
        return None
    return check.this.this.name


def layout(tree: exp.Create) -> tuple[Any, ...]:
    """What fixes the on-disk format: columns, primary key, unique sets, the rowid column."""
    columns: list[str] = []
    uniques: set[tuple[str, ...]] = set()
    pk: tuple[str, ...] = ()
    for node in tree.this.expressions:
        kinds = node.expressions if isinstance(node, exp.Constraint) else [node]
        if isinstance(node, exp.ColumnDef):
            columns.append(node.name.lower())
            kinds = [c.kind for c in node.constraints]
            for k in kinds:
                if isinstance(k, exp.PrimaryKeyColumnConstraint):
                    pk = (node.name.lower(),)
                elif isinstance(k, exp.UniqueColumnConstraint):
                    uniques.add((node.name.lower(),))
            continue
        for k in kinds:
            if isinstance(k, exp.PrimaryKey):
                pk = tuple(e.name.lower() for e in k.expressions)
            elif isinstance(k, exp.UniqueColumnConstraint) and k.this is not None:
                uniques.add(tuple(e.name.lower() for e in k.this.expressions))
    rowid = None
    if len(pk) == 1:
        column = next(c for c in tree.this.expressions
                      if isinstance(c, exp.ColumnDef) and c.name.lower() == pk[0])
        kind = column.args.get("kind")
        if kind is not None and generate(kind).upper() == "INTEGER":
            rowid = pk[0]
    return tuple(columns), pk, frozenset(uniques), rowid


def named_constraints(tree: exp.Create) -> list[tuple[str, exp.Expr]]:
    """Every constraint with its name: as written, else as Postgres would have named it."""
    table = tree.this.this.name
    found: list[tuple[str, exp.Expr]] = []
    suffix: dict[type, str] = {
        exp.CheckColumnConstraint: "check", exp.UniqueColumnConstraint: "key",
        exp.Reference: "fkey", exp.NotNullColumnConstraint: "not_null", exp.ForeignKey: "fkey"}
    for node in tree.this.expressions:
        if isinstance(node, exp.ColumnDef):
            for c in node.constraints:
                if c.this is not None:
                    found.append((c.name, c))
                elif isinstance(c.kind, exp.PrimaryKeyColumnConstraint):
                    found.append((f"{table}_pkey", c))
                elif type(c.kind) in suffix:
                    found.append((f"{table}_{node.name}_{suffix[type(c.kind)]}", c))
        elif isinstance(node, exp.Constraint):
            found.append((node.name, node))
        elif isinstance(node, exp.PrimaryKey):
            found.append((f"{table}_pkey", node))
        elif isinstance(node, exp.CheckColumnConstraint):
            first = next(node.this.find_all(exp.Column), None)
            found.append((f"{table}_{first.name}_check" if first else f"{table}_check", node))
        elif isinstance(node, exp.UniqueColumnConstraint) and node.this is not None:
            cols = "_".join(e.name for e in node.this.expressions)
            found.append((f"{table}_{cols}_key", node))
        elif isinstance(node, exp.ForeignKey):
            cols = "_".join(e.name for e in node.expressions)
            found.append((f"{table}_{cols}_fkey", node))
    return found

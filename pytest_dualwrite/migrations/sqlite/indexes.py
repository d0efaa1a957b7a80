"""Indexes and collations on SQLite: index options SQLite lacks, MySQL's inline KEYs,
collations SQLite does not have, and the name Postgres gives an unnamed index."""

from __future__ import annotations

from typing import Any

import sqlglot
from sqlglot import exp

SQLITE_COLLATIONS = {"BINARY", "NOCASE", "RTRIM"}
BYTEWISE = {"C", "POSIX", "UCS_BASIC"}  # Postgres' byte-order collations: SQLite's BINARY
NAME_BYTES = 63  # Postgres' NAMEDATALEN - 1


def sqlite_collation(name: str) -> str | None:
    """SQLite's collation for a Postgres one, or None where SQLite has none like it."""
    upper = name.upper()
    if upper in BYTEWISE:
        return "BINARY"
    return upper if upper in SQLITE_COLLATIONS else None


def fix_index(tree: exp.Create, adjusted: list[str]) -> None:
    """A CREATE INDEX without what SQLite has no form of (each noted in `adjusted`)."""
    if tree.args.get("concurrently"):
        tree.set("concurrently", False)
        adjusted.append("CONCURRENTLY dropped")
    params = tree.this.args.get("params")
    if params is None:
        return
    for arg in ("using", "include", "with_storage", "tablespace"):
        if params.args.get(arg):
            adjusted.append(f"index {arg.upper().replace('_', ' ')} clause dropped")
            params.set(arg, None)
    for ordered in params.args.get("columns") or []:
        prefix = ordered.this
        if isinstance(prefix, exp.Anonymous) and len(prefix.expressions) == 1 and (
                isinstance(prefix.expressions[0], exp.Literal)
                and not prefix.expressions[0].is_string):  # MySQL `col(20)`
            adjusted.append(f"prefix length of index column {prefix.name} dropped")
            ordered.set("this", exp.column(prefix.name))
    for opclass in params.find_all(exp.Opclass):
        adjusted.append(f"operator class {opclass.expression.name} dropped")
        opclass.replace(opclass.this)
    for collate in list(params.find_all(exp.Collate)):
        wanted = collate.expression.name
        found = sqlite_collation(wanted)
        if found is None:
            adjusted.append(f"collation {wanted} dropped (SQLite has BINARY, NOCASE, RTRIM)")
            collate.replace(collate.this)
        else:
            collate.set("expression", exp.var(found))


def unnamed(tree: exp.Expr) -> bool:
    """A CREATE INDEX without a name: Postgres names it, SQLite refuses it."""
    return isinstance(tree, exp.Create) and str(tree.args.get("kind")).upper() == "INDEX" \
        and isinstance(tree.this, exp.Index) and tree.this.this is None


def name_index(conn: Any, tree: exp.Create) -> exp.Create:
    """The index named as Postgres would (`<table>_<columns>_idx`, then `..._idx1`...),
    among the names the database holds now (Postgres' ChooseRelationName)."""
    index = tree.this
    table = index.args["table"].name
    columns = [_column_name(o.this if isinstance(o, exp.Ordered) else o)
               for o in (index.args["params"].args.get("columns") or [])]
    addition = ""
    for name in columns:  # Postgres' ChooseIndexNameAddition
        addition = f"{addition}_{name}" if addition else name
        if len(addition.encode()) > NAME_BYTES:
            break
    taken = {r[0].lower() for r in conn.exec_driver_sql("SELECT name FROM sqlite_master")}
    number = 0
    while True:
        name = _object_name(table, addition, f"idx{number or ''}")
        if name.lower() not in taken:
            break
        number += 1
    named = tree.copy()
    named.this.set("this", exp.to_identifier(name))
    return named


def _column_name(node: exp.Expr) -> str:
    """What Postgres calls an index column: its name, a function's name, else "expr"."""
    while isinstance(node, exp.Collate):
        node = node.this
    if isinstance(node, exp.Column):
        return node.name
    if isinstance(node, exp.Func):
        return (node.name if isinstance(node, exp.Anonymous) else node.sql_name()).lower()
    return "expr"


def _object_name(name1: str, name2: str, label: str) -> str:
    """Postgres' makeObjectName: the longer part is cut until the name fits 63 bytes."""
    available = NAME_BYTES - (len(label) + 1) - (1 if name2 else 0)
    one, two = len(name1), len(name2)
    while one + two > available:
        if one > two:
            one -= 1
        else:
            two -= 1
    return "_".join(p for p in (name1[:one], name2[:two], label) if p)


def inline_index(table: str, node: exp.IndexColumnConstraint) -> exp.Expr:
    """MySQL's `KEY name (cols)` inside CREATE TABLE, as SQLite's CREATE INDEX."""
    node.pop()
    columns = [exp.Ordered(this=c.copy(), nulls_first=True) for c in node.expressions]
    name = node.name or f"{table}_{'_'.join(c.name for c in node.expressions)}_idx"
    return exp.Create(kind="INDEX", this=exp.Index(
        this=exp.to_identifier(name), table=exp.to_table(table),
        params=exp.IndexParameters(columns=columns)))


def fix_collation(constraint: exp.ColumnConstraint, adjusted: list[str]) -> None:
    """A column's COLLATE: C and POSIX are SQLite's BINARY; others SQLite lacks go."""
    name = constraint.kind.this.name
    found = sqlite_collation(name)
    if found is None:
        adjusted.append(f"collation {name.upper()} dropped (SQLite has BINARY, NOCASE, "
                        f"RTRIM)")
        constraint.pop()
    else:
        constraint.kind.set("this", exp.var(found))


def constraint_using_index(words: list[str]) -> tuple[str, str] | None:
    """(constraint, index) of `ALTER TABLE t ADD CONSTRAINT c UNIQUE USING INDEX i`
    (`words`: the statement's words, upper case, names as written), else None."""
    upper = [w.upper() for w in words]
    if upper[:2] != ["ALTER", "TABLE"] or "USING" not in upper:
        return None
    at = upper.index("USING")
    if upper[at - 3: at - 1] != ["CONSTRAINT", words[at - 2].upper()] or upper[at - 1] != (
            "UNIQUE") or upper[at + 1: at + 2] != ["INDEX"] or len(words) != at + 3:
        return None
    return words[at - 2].strip('"'), words[at + 2].strip('"')


def index_as_constraint(conn: Any, constraint: str, index: str) -> list[str]:
    """Postgres renames the unique index to the constraint's name; so does SQLite here, by
    creating it again under that name (it cannot rename an index)."""
    row = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'index' AND "
                               "lower(name) = lower(?)", (index,)).first()
    if row is None or not row[0]:
        from .table import Refused

        raise Refused(f'index "{index}" does not exist')
    tree = sqlglot.parse_one(row[0], read="sqlite")
    tree.this.set("this", exp.to_identifier(constraint))
    return [f'DROP INDEX "{index}"', tree.sql(dialect="sqlite")]

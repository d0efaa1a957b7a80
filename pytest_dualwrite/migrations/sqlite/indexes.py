"""Indexes and collations on SQLite: index options SQLite lacks, MySQL's inline KEYs,
collations SQLite does not have."""

from __future__ import annotations

from sqlglot import exp

SQLITE_COLLATIONS = {"BINARY", "NOCASE", "RTRIM"}


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
    name = constraint.kind.this.name.upper()
    if name in ("C", "POSIX"):
        constraint.kind.set("this", exp.var("BINARY"))
    elif name not in SQLITE_COLLATIONS:
        adjusted.append(f"collation {name} dropped (SQLite has BINARY, NOCASE, RTRIM)")
        constraint.pop()

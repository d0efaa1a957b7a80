"""Postgres set-returning joins as SQLite reads them: SQLite has no LATERAL.

* `[CROSS JOIN] [LATERAL] jsonb_array_elements(x) AS a(v)` (and `json_`/`_text`) is
  `json_each(x) AS a`, each element in its `value` column, where every `a.v` and bare `v`
  now points;
* `LATERAL (SELECT sum(x) AS s FROM ... WHERE ...) q`, a subquery that aggregates without
  GROUP BY and so gives exactly one row, is the same as a correlated scalar subquery in
  place of each `q.s` (or bare `s`).

Any other LATERAL is refused in one line (Unsupported), asking for a stand-in.
"""

from __future__ import annotations

from sqlglot import exp

from .types import Unsupported

ARRAY_ELEMENTS = {"jsonb_array_elements", "json_array_elements", "jsonb_array_elements_text",
                  "json_array_elements_text"}


def unlateral(tree: exp.Expr) -> None:
    """Rewrite every LATERAL and JSON array expansion under `tree` in place."""
    for select in list(tree.find_all(exp.Select)):
        for source in [select.args.get("from_"), *(select.args.get("joins") or [])]:
            if source is not None:
                _source(select, source)


def _source(select: exp.Select, source: exp.From | exp.Join) -> None:
    item = source.this
    alias = item.args.get("alias")
    inner = item.this if isinstance(item, (exp.Lateral, exp.Table)) else None
    if isinstance(inner, exp.Anonymous) and inner.name.lower() in ARRAY_ELEMENTS:
        name = alias.name if alias is not None and alias.name else inner.name.lower()
        columns = [c.name.lower() for c in (alias.args.get("columns") or [])] if alias else []
        item.replace(exp.Table(this=exp.Anonymous(this="json_each", expressions=[
            e.copy() for e in inner.expressions]), alias=exp.TableAlias(
                this=exp.to_identifier(name))))
        if columns:
            _point(select, name, {columns[0]: exp.column("value", name)}, source)
        return
    if not isinstance(item, exp.Lateral):
        return
    query = inner.this if isinstance(inner, exp.Subquery) else None
    if not _one_row(query) or alias is None or not alias.name:
        raise Unsupported("SQLite has no LATERAL join (only a one-row aggregate subquery or "
                          "jsonb_array_elements can be rewritten); add a stand-in")
    assert isinstance(query, exp.Select)
    outputs: dict[str, exp.Expr] = {}
    for projection in query.expressions:
        scalar = query.copy()
        scalar.set("expressions", [projection.unalias().copy()])
        outputs[projection.alias_or_name.lower()] = exp.Subquery(this=scalar)
    if isinstance(source, exp.Join):
        source.pop()
    else:  # FROM LATERAL (...): the first join (or one row) takes its place
        joins = select.args.get("joins") or []
        if joins and not joins[0].args.get("on"):
            first = joins[0].pop()
            source.set("this", first.this)
        else:
            source.pop()
    _point(select, alias.name, outputs, None)


def _one_row(query: exp.Expr | None) -> bool:
    """An aggregate query without GROUP BY: exactly one row, whatever its FROM holds."""
    if not isinstance(query, exp.Select) or query.args.get("group") or query.args.get(
            "having") or query.args.get("limit") is not None:
        return False
    return bool(query.expressions) and all(
        isinstance(p.unalias(), exp.AggFunc) or p.unalias().find(exp.AggFunc) is not None
        for p in query.expressions)


def _point(select: exp.Select, alias: str, outputs: dict[str, exp.Expr],
           skip: exp.Expr | None) -> None:
    """Replace `alias.col` and bare `col` (for col in outputs) in `select`'s own scope."""
    for column in list(select.find_all(exp.Column)):
        if skip is not None and column.find_ancestor(type(skip)) is skip:
            continue
        table = column.table.lower()
        name = column.name.lower()
        if name in outputs and (table == alias.lower() or not table):
            column.replace(outputs[name].copy())

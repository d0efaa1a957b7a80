"""Postgres expressions (in DDL or DML) as SQLite computes the same value: now(), time
zones and intervals, casts, arrays as JSON, `= ANY(ARRAY[...])`, JSON builders."""

from __future__ import annotations

import re

from sqlglot import exp

from .indexes import BYTEWISE
from .types import DT, TEXTS, TIMESTAMPS

NOW_FUNCTIONS = {"clock_timestamp", "statement_timestamp", "transaction_timestamp"}
RENAMED_FUNCTIONS = {
    "jsonb_build_object": "json_object", "json_build_object": "json_object",
    "jsonb_build_array": "json_array", "json_build_array": "json_array",
    "jsonb_array_length": "json_array_length", "jsonb_typeof": "json_type",
}
AGGREGATES_TO_JSON = {"jsonb_agg", "json_agg"}
EXTRACT_FORMATS = {"year": "%Y", "month": "%m", "day": "%d", "hour": "%H", "minute": "%M",
                   "second": "%f", "dow": "%w", "doy": "%j", "epoch": "%s"}
TO_JSON = {"to_jsonb", "to_json", "row_to_json"}
JSON_KEY = re.compile(r"^[A-Za-z_]\w*$")
SIMPLE_PATH = re.compile(r"^\$(\.[A-Za-z_]\w*|\[\d+\])+$")  # where jsonpath = SQLite's path
TIME_FORMAT = "%Y-%m-%d %H:%M:%f000"  # what now() writes: microseconds, UTC
UTC_NAMES = {"utc", "etc/utc", "gmt", "z", "+00", "+00:00"}
INTERVAL_UNITS = {"year": "years", "mon": "months", "month": "months", "week": "weeks",
                  "day": "days", "hour": "hours", "min": "minutes", "minute": "minutes",
                  "sec": "seconds", "second": "seconds"}


def fix_expression(node: exp.Expr) -> exp.Expr:
    """Per-node fixes for every statement, DDL or DML (a `transform` callback)."""
    new = _fix(node)
    # transform() does not descend into a replacement: fix its insides here.
    return node if new is node else new.transform(fix_expression, copy=False)


def _fix(node: exp.Expr) -> exp.Expr:
    if isinstance(node, exp.Table) and node.text("db").lower() == "public":
        node.set("db", None)
    elif isinstance(node, exp.ByteString):  # Postgres E'...': escapes already decoded
        return exp.Literal.string(node.name)
    elif isinstance(node, exp.Uuid):
        return exp.Anonymous(this="gen_random_uuid", expressions=[])
    elif isinstance(node, (exp.CurrentTimestamp, exp.Localtimestamp)) or (
            isinstance(node, exp.Anonymous) and node.name.lower() in NOW_FUNCTIONS):
        return exp.Anonymous(this="now", expressions=[])
    elif isinstance(node, exp.Filter) and _is_json_agg(node.this):  # agg(x) FILTER (...)
        inner = exp.Filter(this=_json_agg(node.this), expression=node.expression.copy())
        return exp.Nullif(this=inner, expression=exp.Literal.string("[]"))
    elif _is_json_agg(node) and not isinstance(node.parent, exp.Filter):
        return exp.Nullif(this=_json_agg(node), expression=exp.Literal.string("[]"))
    elif isinstance(node, exp.UnixToTime) and node.args.get("scale") is None:
        return exp.Anonymous(this="strftime", expressions=[
            exp.Literal.string(TIME_FORMAT), node.this, exp.Literal.string("unixepoch")])
    elif isinstance(node, exp.Anonymous) and node.name.lower() == "jsonb_set":
        return _json_set(node)
    elif isinstance(node, exp.Anonymous) and node.name.lower() in TO_JSON and len(
            node.expressions) == 1:
        return _to_json(node)
    elif isinstance(node, exp.Anonymous) and node.name.lower() in RENAMED_FUNCTIONS:
        return exp.Anonymous(this=RENAMED_FUNCTIONS[node.name.lower()],
                             expressions=node.expressions)
    elif isinstance(node, exp.Anonymous) and node.name.lower() == "timezone":
        zone, value = [*node.expressions, None, None][:2]
        if isinstance(zone, exp.Literal) and zone.name.lower() in UTC_NAMES and value:
            return value
    elif isinstance(node, exp.AtTimeZone):
        zone = node.args.get("zone")
        if isinstance(zone, exp.Literal) and zone.name.lower() in UTC_NAMES:
            return node.this  # SQLite times are UTC already
    elif isinstance(node, (exp.Add, exp.Sub)) and _interval(node.expression):
        return _shift(node)
    elif isinstance(node, exp.Sub) and isinstance(node.expression, exp.Literal) and (
            node.expression.is_string and JSON_KEY.match(node.expression.name)):
        # jsonb - 'key' (only a JSON value takes a word from it): the key removed
        return exp.Anonymous(this="json_remove", expressions=[
            node.this, exp.Literal.string(f'$."{node.expression.name}"')])
    elif isinstance(node, exp.Anonymous) and node.name.lower() == "jsonb_path_exists" and len(
            node.expressions) == 2 and isinstance(node.expressions[1], exp.Literal) and (
            SIMPLE_PATH.match(node.expressions[1].name)):
        return exp.Not(this=exp.Is(this=exp.Anonymous(this="json_type", expressions=[
            node.expressions[0], node.expressions[1]]), expression=exp.null()))
    elif isinstance(node, exp.Cast):
        return _cast(node)
    elif isinstance(node, exp.Extract) and node.name.lower() in EXTRACT_FORMATS:
        return _extract(node.name.lower(), node.expression)
    elif isinstance(node, exp.Array) and len(node.expressions) == 1 and isinstance(
            node.expressions[0], exp.Select) and len(node.expressions[0].expressions) == 1:
        # ARRAY(SELECT x ...): the rows' values as a JSON array ('[]' for none, as '{}')
        query = node.expressions[0]
        name = query.expressions[0].alias_or_name or "value"
        query = query.copy()
        query.expressions[0].replace(exp.alias_(query.expressions[0].unalias(), "value"))
        agg = exp.Anonymous(this="json_group_array", expressions=[exp.column("value")])
        return exp.Subquery(this=exp.select(agg).from_(exp.Subquery(
            this=query, alias=exp.TableAlias(this=exp.to_identifier(name)))))
    elif isinstance(node, exp.Array):
        if not node.expressions:
            return exp.Literal.string("[]")
        return exp.Anonymous(this="json_array", expressions=node.expressions)
    elif isinstance(node, exp.EQ) and isinstance(node.expression, exp.Any):
        items = _array_items(node.expression.this)
        if items is not None:
            return exp.In(this=node.this, expressions=items)
    elif isinstance(node, exp.Collate) and node.expression.name.upper() in BYTEWISE:
        node.set("expression", exp.var("BINARY"))
    elif isinstance(node, exp.Ordered) and not isinstance(node.parent, exp.Order):
        node.set("nulls_first", not node.args.get("desc"))  # index/ON CONFLICT: no NULLS
    elif isinstance(node, exp.DataType) and not isinstance(node.parent, (
            exp.ColumnDef, exp.AlterColumn)):  # a column's type: `types.column_type`
        if node.this == DT.USERDEFINED:
            return exp.DataType.build("TEXT")
        if node.is_type(DT.ARRAY) or node.args.get("nested"):
            return exp.DataType.build("JSON")
    return node


def _is_json_agg(node: exp.Expr) -> bool:
    return isinstance(node, exp.ArrayAgg) or (
        isinstance(node, exp.Anonymous) and node.name.lower() in AGGREGATES_TO_JSON)


def _json_agg(node: exp.Expr) -> exp.Expr:
    """`jsonb_agg(x)` or `array_agg(x)` (arrays are JSON text on SQLite) as
    `json_group_array` (the caller makes it NULL over no rows, as in Postgres); of a derived
    table's alias (a row), each row a JSON object keyed by the derived table's columns, also
    when the row comes from a scalar subquery (`jsonb_agg((SELECT x FROM (...) x))`)."""
    if isinstance(node, exp.ArrayAgg):
        node = exp.Anonymous(this="array_agg", expressions=[node.this])
    (value,) = node.expressions or [exp.null()]
    select = node.find_ancestor(exp.Select)
    if isinstance(value, exp.Column) and select is not None:
        value = _row_object(value, select) or value
    elif isinstance(value, exp.Subquery) and isinstance(value.this, exp.Select) and len(
            value.this.expressions) == 1 and isinstance(value.this.expressions[0], exp.Column):
        query = value.this.copy()
        row = _row_object(query.expressions[0], query)
        if row is not None:  # a subquery's result is text: json() keeps it an object
            query.expressions[0].replace(row)
            value = exp.Anonymous(this="json", expressions=[exp.Subquery(this=query)])
    return exp.Anonymous(this="json_group_array", expressions=[value])


def _row_object(value: exp.Column, select: exp.Select) -> exp.Expr | None:
    """`json_object(...)` of the row `value` names: the alias of a derived table under
    `select`, keyed by that table's columns as Postgres names them (None: not a row)."""
    if value.table:
        return None
    derived = next((s for s in select.find_all(exp.Subquery)
                    if s.alias_or_name.lower() == value.name.lower()), None)
    inner = derived.this if derived is not None else None
    if not isinstance(inner, exp.Select):
        return None
    pairs: list[exp.Expr] = []
    for column in inner.expressions:
        key = column.args.get("alias") or (
            column.this if isinstance(column, exp.Column) else None)
        if not isinstance(key, exp.Identifier):
            return None
        name = key.name if key.quoted else key.name.lower()  # Postgres folds it
        field: exp.Expr = exp.column(key.name, value.name, quoted=True)
        if isinstance(column.unalias(), (exp.Array, exp.ArrayAgg)) or _is_json_agg(
                column.unalias()):
            field = exp.Anonymous(this="json", expressions=[field])  # a JSON array, not text
        pairs += [exp.Literal.string(name), field]
    return exp.Anonymous(this="json_object", expressions=pairs)


def _to_json(node: exp.Anonymous) -> exp.Expr:
    """`to_jsonb(x)`: a row alias as a JSON object, a value as its JSON form
    (json_quote: a string quoted, a number as is); NULL stays NULL, as Postgres'."""
    (value,) = node.expressions
    select = node.find_ancestor(exp.Select)
    if isinstance(value, exp.Column) and select is not None:
        row = _row_object(value, select)
        if row is not None:
            return row
    quoted = exp.Anonymous(this="json_quote", expressions=[value.copy()])
    return exp.If(this=exp.Is(this=value.copy(), expression=exp.null()), true=exp.null(),
                  false=quoted)


def _json_set(node: exp.Anonymous) -> exp.Expr:
    """`jsonb_set(target, '{a,b}', value)` as `json_set(target, '$.a.b', json(value))`,
    where the path is a literal; otherwise left for SQLite to refuse by name."""
    target, path, value, *_ = [*node.expressions, None, None, None]
    if not (isinstance(path, exp.Literal) and path.is_string and value is not None):
        return node
    keys = [k.strip().strip('"') for k in path.name.strip("{}").split(",") if k.strip()]
    dotted = "$" + "".join(f"[{k}]" if k.lstrip("-").isdigit() else f'."{k}"' for k in keys)
    return exp.Anonymous(this="json_set", expressions=[
        target, exp.Literal.string(dotted), exp.Anonymous(this="json", expressions=[value])])


def _extract(unit: str, value: exp.Expr) -> exp.Expr:
    """`EXTRACT(unit FROM t)` from SQLite's strftime; EPOCH in seconds with the
    milliseconds SQLite keeps (`%s` plus the fraction of `%f`)."""
    def part(fmt: str) -> exp.Expr:
        return exp.Anonymous(this="strftime", expressions=[exp.Literal.string(fmt),
                                                            value.copy()])
    if unit == "epoch":
        seconds = exp.Sub(this=exp.Add(this=part("%s"), expression=part("%f")),
                          expression=part("%S"))
        return exp.Cast(this=exp.Paren(this=seconds), to=exp.DataType.build("REAL"))
    kind = "REAL" if unit == "second" else "INTEGER"
    return exp.Cast(this=part(EXTRACT_FORMATS[unit]), to=exp.DataType.build(kind))


def _cast(node: exp.Cast) -> exp.Expr:
    to = node.to
    value = node.this
    literal = isinstance(value, exp.Literal) and value.is_string
    if to.this in (DT.JSON, DT.JSONB):
        return value if literal else exp.Anonymous(this="json", expressions=[value])
    if literal and to.this in TIMESTAMPS and value.name.lower() == "now":
        return exp.Anonymous(this="now", expressions=[])
    if literal and to.this in TEXTS:
        return value
    if to.is_type(DT.ARRAY) or to.args.get("nested"):
        return value
    return node


def _interval(node: exp.Expr) -> list[tuple[float, str]] | None:
    """[(amount, sqlite unit)] of `interval '1 day 2 hours'` or `'3 weeks'::interval`."""
    if isinstance(node, exp.Interval):
        text = f"{node.name} {node.text('unit')}"
    elif isinstance(node, exp.Cast) and node.to.this == DT.INTERVAL and node.this.is_string:
        text = node.this.name
    else:
        return None
    words = text.lower().split()
    if not words or len(words) % 2:
        return None
    parts = []
    for amount, word in zip(words[::2], words[1::2], strict=True):
        unit = INTERVAL_UNITS.get(word.rstrip("s"))
        try:
            number = float(amount)
        except ValueError:
            return None
        if unit is None:
            return None
        parts.append((number * 7, "days") if unit == "weeks" else (number, unit))
    return parts


def _shift(node: exp.Add | exp.Sub) -> exp.Expr:
    """`t - interval '1 day'` as SQLite date arithmetic, in the format now() writes."""
    sign = -1 if isinstance(node, exp.Sub) else 1
    modifiers = [exp.Literal.string(f"{sign * n:+g} {unit}")
                 for n, unit in _interval(node.expression) or []]
    return exp.Anonymous(this="strftime", expressions=[
        exp.Literal.string(TIME_FORMAT), node.this, *modifiers])


def _array_items(node: exp.Expr | None) -> list[exp.Expr] | None:
    """The elements of `ARRAY[...]`, under any parentheses and casts pg_dump puts around it."""
    while isinstance(node, (exp.Paren, exp.Cast)):
        node = node.this
    return list(node.expressions) if isinstance(node, exp.Array) else None

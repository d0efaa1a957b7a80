"""Normalization every producer shares: SQL fragments, in one canonical spelling.

Split from `types` (column types) because a fragment is a different concept: an expression
to parse, rewrite and print again, where a type is a name to map.

SQL fragments (defaults, checks, index expressions and WHERE clauses) are parsed with
sqlglot, rewritten on the tree, and generated again in one canonical form (Postgres
spelling). Decisions, each one a quirk that made drift checks cry wolf:

- parentheses are dropped and put back only where precedence needs them;
- a cast of a literal, an array or `NULL` is dropped (`'x'::character varying` is `'x'`),
  and so is any cast to a text type (Postgres adds `(role)::text` to checks);
- `x = ANY (ARRAY[...])` is `x IN (...)`, `x <> ALL (ARRAY[...])` is `NOT x IN (...)`;
  the items of an IN list are sorted (a set has no order);
- `x BETWEEN a AND b` is `x >= a AND x <= b` (what Postgres stores);
- `NOT x IS NULL` is `x IS NOT NULL` (sqlglot reads the two spellings differently);
- `now()`, `CURRENT_TIMESTAMP` and `transaction_timestamp()` are one function;
- identifiers are lower-cased and unqualified; names with capitals were folded already;
- an ISO date/time string is written one way (`'2024-01-01'` = `'2024-01-01 00:00:00+00'`:
  Postgres stores the latter, in the server's time zone, which is assumed to be UTC).

A default is further read through its column's type: `0`, `'f'` and `false` are FALSE for a
boolean, `'0'` is `0` for a number, and JSON text is re-dumped in one layout.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from decimal import Decimal
from functools import lru_cache
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from ..migrations.sqlite.expressions import TIME_FORMAT
from .model import ColumnType
from .types import CHAR_TYPES, TEXT_TYPES, T

_NOW_NAMES = {"now", "transaction_timestamp"}
_PRECEDENCE: dict[type, int] = {
    exp.Or: 1, exp.And: 2, exp.Not: 3,
    **dict.fromkeys((exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Is, exp.Like,
                     exp.ILike, exp.In, exp.Between, exp.SimilarTo, exp.NullSafeEQ,
                     exp.Glob), 4),
    **dict.fromkeys((exp.Add, exp.Sub, exp.DPipe), 5),
    **dict.fromkeys((exp.Mul, exp.Div, exp.Mod, exp.IntDiv), 6),
    exp.Neg: 7,
}
_ASSOCIATIVE = (exp.And, exp.Or, exp.Add, exp.Mul, exp.DPipe)
NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
# An ISO date or timestamp in a string literal: Postgres stores `'2024-01-01'` compared with a
# timestamptz column as `'2024-01-01 00:00:00+00'` (in the server's time zone, UTC assumed).
_MOMENT = re.compile(r"(?P<date>\d{4}-\d{2}-\d{2})"
                     r"(?:[ T](?P<time>\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?))?"
                     r"\s*(?P<tz>Z|[+-]\d{2}(?::?\d{2})?)?")
_UTC = {None, "Z", "+00", "-00", "+00:00", "+0000", "-00:00"}
_TRUE = {"t", "true", "1", "y", "yes", "on"}
_FALSE = {"f", "false", "0", "n", "no", "off"}


def parse_fragment(text: str | exp.Expression, dialect: str) -> exp.Expression | None:
    """Parse an expression; None where sqlglot cannot read it (the caller keeps the text)."""
    if isinstance(text, exp.Expression):
        return text.copy()
    try:
        tree = sqlglot.parse_one(text, read=dialect)
    except SqlglotError:
        return None
    return tree if isinstance(tree, exp.Expression) else None


@lru_cache(maxsize=512)
def _needs_quotes(name: str) -> bool:
    """Quote only what would not read back as the same column (`select`, `my col`)."""
    try:
        tree = sqlglot.parse_one(f"{name} > 0", read="postgres")
    except SqlglotError:
        return True
    return not (isinstance(tree.this, exp.Column) and tree.this.name == name)


def _is_text_type(dt: Any) -> bool:
    if not isinstance(dt, exp.DataType):
        return isinstance(dt, exp.ObjectIdentifier)  # ::regclass and friends
    if dt.this == T.ARRAY:
        return all(_is_text_type(e) for e in dt.expressions)
    return dt.this in TEXT_TYPES or dt.this in CHAR_TYPES


def _droppable_cast(node: exp.Cast) -> bool:
    inner = node.this
    if isinstance(inner, exp.Neg):
        inner = inner.this
    return isinstance(inner, (exp.Literal, exp.Array, exp.Null, exp.Boolean)) or _is_text_type(
        node.args.get("to"))


def _array_items(node: exp.Expression | None) -> list[exp.Expression] | None:
    if isinstance(node, (exp.Any, exp.All)):
        node = node.this
    elif isinstance(node, exp.Anonymous) and node.name.upper() == "ALL":  # how sqlglot reads ALL
        node = (node.expressions or [None])[0]
    else:
        return None
    return list(node.expressions) if isinstance(node, exp.Array) else None


def _moment(match: re.Match[str]) -> str:
    time = match["time"] or "00:00:00"
    time = time + ":00" if len(time) == 5 else time
    time = time.rstrip("0").rstrip(".") if "." in time else time
    tz = "" if match["tz"] in _UTC else match["tz"]
    if time == "00:00:00" and not tz:
        return match["date"]
    return f"{match['date']} {time}{tz}"


def _is_our_unix_time(node: exp.Expression) -> bool:
    """`strftime('<the transpiler's format>', x, 'unixepoch')`: Postgres' to_timestamp(x)."""
    if not (isinstance(node, exp.Anonymous) and node.name.lower() == "strftime"):
        return False
    args = node.expressions
    return len(args) == 3 and all(isinstance(a, exp.Literal) and a.is_string and a.name == want
                                  for a, want in ((args[0], TIME_FORMAT), (args[2], "unixepoch")))


def _simplify(node: exp.Expression) -> exp.Expression:
    """One rewrite step, applied bottom-up: children are already canonical."""
    if isinstance(node, exp.Paren):
        return node.this
    if isinstance(node, exp.Cast) and _droppable_cast(node):
        return node.this
    if isinstance(node, exp.Identifier):
        name = node.name.lower()
        return exp.Identifier(this=name, quoted=_needs_quotes(name))
    if isinstance(node, exp.Column):
        for part in ("table", "db", "catalog"):
            node.set(part, None)
        return node
    if isinstance(node, exp.Anonymous) and node.name.lower() in _NOW_NAMES and not node.expressions:
        return exp.CurrentTimestamp()
    if _is_our_unix_time(node):  # the SQLite spelling the transpiler gives to_timestamp(x)
        return exp.UnixToTime(this=node.expressions[1])
    if isinstance(node, (exp.EQ, exp.NEQ)):
        items = _array_items(node.expression)
        any_ = isinstance(node.expression, exp.Any)
        if items is not None and isinstance(node, exp.EQ) and any_:
            return _simplify(exp.In(this=node.this, expressions=items))
        if items is not None and isinstance(node, exp.NEQ) and not any_:
            return exp.Not(this=_simplify(exp.In(this=node.this, expressions=items)))
    if isinstance(node, exp.Not) and isinstance(node.this, exp.Is):  # dialects disagree here
        inner = node.this
        inner.set("negate", not inner.args.get("negate"))
        return inner
    if isinstance(node, exp.Is) and not node.args.get("negate"):
        node.set("negate", None)
    if isinstance(node, exp.Between):
        low = exp.GTE(this=node.this.copy(), expression=node.args["low"])
        return exp.And(this=low, expression=exp.LTE(this=node.this, expression=node.args["high"]))
    moment = _MOMENT.fullmatch(node.name) if isinstance(node, exp.Literal) else None
    if moment and node.is_string:
        return exp.Literal.string(_moment(moment))
    if isinstance(node, exp.In) and node.expressions:
        node.set("expressions", sorted(node.expressions, key=lambda e: e.sql("postgres")))
    return node


def _children_through(node: exp.Expression,
                      fn: Callable[[exp.Expression], exp.Expression]) -> exp.Expression:
    """`node` with each child expression (single or in a list) replaced by `fn` of it:
    the bottom-up walk both rewrites below share."""
    for key, value in list(node.args.items()):
        if isinstance(value, exp.Expression):
            node.set(key, fn(value))
        elif isinstance(value, list):
            node.set(key, [fn(v) if isinstance(v, exp.Expression) else v for v in value])
    return node


def _rewrite(node: exp.Expression) -> exp.Expression:
    return _simplify(_children_through(node, _rewrite))


def _reparen(node: exp.Expression) -> exp.Expression:
    """Put back exactly the parentheses precedence needs, so the text is unambiguous."""
    node = _children_through(node, _reparen)
    rank = _PRECEDENCE.get(type(node))
    if rank is None:
        return node
    unary = isinstance(node, (exp.Not, exp.Neg))
    for key in ("this", "expression"):
        child = node.args.get(key)
        child_rank = _PRECEDENCE.get(type(child))
        if child_rank is None:
            continue
        same_ok = not unary and type(child) is type(node) and (
            key == "this" or isinstance(node, _ASSOCIATIVE))
        if child_rank < rank or (child_rank == rank and not same_ok):
            node.set(key, exp.Paren(this=child))
    return node


_POSTGRES = sqlglot.Dialect.get_or_raise("postgres")


def _postgres_sql(tree: exp.Expression) -> str:
    """`tree.sql(dialect="postgres")` for a tree of this module's own (parsed or copied
    here, thrown away after): without the copy that call makes first, nor a new Dialect."""
    if tree.parent is not None or tree.arg_key is not None or tree.index is not None:
        return tree.sql(dialect="postgres")  # a copy would be a root: let .sql() make it
    return _POSTGRES.generate(tree, copy=False)


def canonical_sql(text: str | exp.Expression, dialect: str) -> str:
    """A fragment in canonical form; text sqlglot cannot read is kept, whitespace folded."""
    tree = parse_fragment(text, dialect)
    if tree is None:
        return " ".join(str(text).split())
    return _postgres_sql(_reparen(_rewrite(tree)))


def _number(text: str) -> str:
    """A numeric literal one way: `0.0`, `0` and `0e0` are one default (a float column's
    `server_default="0.0"` against a migration's `DEFAULT 0`)."""
    try:
        value = Decimal(text).normalize()
    except ArithmeticError:
        return text
    return format(value, "f") if value != 0 else "0"


def canonical_default(text: str | exp.Expression | None, dialect: str,
                      coltype: ColumnType) -> str | None:
    """A server default in canonical form, read through its column's type family."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    tree = parse_fragment(text, dialect)
    if tree is None:
        return " ".join(str(text).split())
    tree = _reparen(_rewrite(tree))
    if isinstance(tree, exp.Null):
        return None
    literal = tree if isinstance(tree, exp.Literal) else None
    value = literal.name if literal is not None else ""
    family = coltype.family
    if family == "boolean" and (literal is not None or isinstance(tree, exp.Boolean)):
        word = value.lower() if literal is not None else ("true" if tree.this else "false")
        if word in _TRUE or word in _FALSE:
            return "TRUE" if word in _TRUE else "FALSE"
    numeric_family = family in ("integer", "numeric", "float")
    if numeric_family and literal is not None and NUMBER.fullmatch(value):
        return _number(value)
    if family == "string" and literal is not None and not literal.is_string:
        return _postgres_sql(exp.Literal.string(value))
    if family == "json" and literal is not None and literal.is_string:
        try:
            dumped = json.dumps(json.loads(value), sort_keys=True, separators=(", ", ": "))
        except ValueError:
            dumped = value
        return _postgres_sql(exp.Literal.string(dumped))
    return _postgres_sql(tree)


DESC = " DESC"  # an index entry sorted descending: `ts DESC` (ascending is the default)


def index_entry(text: str, descending: bool) -> str:
    """One index entry as every producer writes it; DESC is kept (it is a difference)."""
    return text + DESC if descending else text


def entry_expression(entry: str) -> str:
    """The column or expression of an index entry, its sort order aside."""
    return entry[: -len(DESC)] if entry.endswith(DESC) else entry


def is_sequence_default(text: str | None) -> bool:
    """`nextval('t_id_seq'::regclass)`: Postgres's spelling of SERIAL, not a real default."""
    # A call named nextval spells the name out, so any other default needs no parse (the
    # fold asks this of every default it reads).
    tree = parse_fragment(text, "postgres") if text and "nextval" in text.lower() else None
    return isinstance(tree, exp.Anonymous) and tree.name.lower() == "nextval"


def columns_of_sql(text: str) -> frozenset[str]:
    """Column names a canonical fragment reads; pairs checks, drops dependent objects."""
    tree = parse_fragment(text, "postgres")
    if tree is None:
        return frozenset()
    return frozenset(c.name.lower() for c in tree.find_all(exp.Column))


def rename_column_sql(text: str, old: str, new: str) -> str:
    """A canonical fragment with column `old` read as `new` (ALTER TABLE ... RENAME COLUMN)."""
    tree = parse_fragment(text, "postgres")
    if tree is None:
        return text
    for column in tree.find_all(exp.Column):
        if column.name.lower() == old:
            column.set("this", exp.to_identifier(new))
    return canonical_sql(tree, "postgres")

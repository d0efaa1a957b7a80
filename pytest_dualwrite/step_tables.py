"""Which tables' rows a migration step can change: where `each_step_preserves_rows` needs rows.

Generating rows for every table at every step made the check cost a hundred times the
history's own apply on real projects (issue 11, defect 12), though most steps only create
a table or an index. A step is read statement by statement, by its text (sqlglot keeps
DO blocks and functions opaque):

- statements that cannot change or refuse existing rows (a new table, a plain index, a
  view, a function, a trigger, a comment, a grant) need none;
- DDL on named tables (ALTER TABLE, DROP TABLE, a UNIQUE index, TRUNCATE) and plain
  INSERT / UPDATE / DELETE need rows in the tables they name, when no user trigger can
  carry a write elsewhere;
- anything else (a DO block, SELECT or CALL of a function, ALTER TYPE or DOMAIN, a
  statement not recognised, DML where triggers exist) may touch any table: all of them.

The tables written to are widened to the tables whose foreign keys reach them (a
cascade), and every table to the tables its rows reference, so that every generated row
can be inserted.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from .migrations.model import Statement
from .schema.model import Schema

_COMMENTS = re.compile(r"--[^\n]*|/\*.*?\*/", re.S)
_WORD = re.compile(r'"((?:[^"]|"")+)"|([A-Za-z_][A-Za-z0-9_$]*)')

# Statements that leave existing rows as they are and cannot fail because of them.
_NO_ROWS = re.compile(
    r"""^(?:
        create\s+(?:or\s+replace\s+)?(?:
            (?:(?:global\s+|local\s+)?(?:temp|temporary|unlogged)\s+)?table\b(?!.*\bas\b\s*\(?\s*(?:select|with|values|table)\b)
          | index\b | (?:constraint\s+)?trigger\b | (?:recursive\s+)?view\b | function\b
          | procedure\b | aggregate\b | operator\b | type\b | domain\b | schema\b
          | extension\b | sequence\b | role\b | user\b | policy\b | rule\b | cast\b
          | collation\b | publication\b | event\s+trigger\b | language\b
          | (?:or\s+replace\s+)?(?:trusted\s+)?(?:procedural\s+)?language\b)
      | drop\s+(?:index|view|function|procedure|trigger|sequence|policy|rule|role|user
                |extension|aggregate|operator|cast|publication|event\s+trigger)\b
      | comment\s+on\b | grant\b | revoke\b | set\b | reset\b | analyze\b | vacuum\b
      | alter\s+(?:default\s+privileges|role|user|function|procedure|sequence|index|view
                 |schema|extension|database|publication|policy|trigger)\b
      | alter\s+\w+.*\bowner\s+to\b
    )""", re.I | re.S | re.X)
# DDL and plain DML that touch only the tables they name.
_NAMED = re.compile(
    r"""^(?:
        alter\s+table\b | drop\s+table\b | truncate\b | create\s+unique\s+index\b
      | create\s+materialized\s+view\b | refresh\s+materialized\s+view\b
      | alter\s+materialized\s+view\b | drop\s+materialized\s+view\b
      | create\s+(?:or\s+replace\s+)?(?:temp\w*\s+|unlogged\s+)?table\b
      | lock\b | cluster\b | reindex\b
    )""", re.I | re.S | re.X)
_TRUNCATE = re.compile(r"^truncate\b", re.I)
_DML = re.compile(r"^(?:insert|update|delete)\b", re.I)
# A DML statement that calls a function may reach anything: f(...) that is no keyword.
_CALL = re.compile(r"\b(?!(?:values|in|exists|any|all|coalesce|nullif|greatest|least|cast"
                   r"|lower|upper|trim|now|count|sum|min|max|array|row|on|conflict)\b)"
                   r"[a-z_][a-z0-9_]*\.?[a-z0-9_]*\s*\(", re.I)
_INTO = re.compile(r"^\s*insert\s+into\s+\S+\s*\(", re.I)


def _text(statement: Statement) -> str:
    return _COMMENTS.sub(" ", statement.sql).strip()


def _words(sql: str) -> set[str]:
    """Every identifier-like word of the text, lower-cased, quotes removed."""
    return {(quoted.replace('""', '"') if quoted else bare).lower()
            for quoted, bare in _WORD.findall(sql)}


def tables_touched(statements: Iterable[Statement], schema: Schema,
                   has_triggers: Callable[[], bool]) -> set[str]:
    """The tables of `schema` whose rows the statements may change, delete or refuse,
    widened as the module says: every generated row can be inserted.

    `has_triggers` is asked (once, only when a step holds plain DML) whether any user
    trigger exists, since one could carry a write to a table the statement never names.
    """
    known = {t.name for t in schema.tables}
    named: set[str] = set()
    cascading: set[str] = set()  # written to: rows of tables referencing them may follow
    triggers: bool | None = None
    for statement in statements:
        sql = _text(statement)
        if not sql or _NO_ROWS.match(sql):
            continue
        if _NAMED.match(sql):
            named |= _words(sql) & known
            if _TRUNCATE.match(sql):
                cascading |= _words(sql) & known
            continue
        if _DML.match(sql):
            if triggers is None:
                triggers = has_triggers()
            body = _INTO.sub("", sql)  # the column list of an INSERT is no call
            if not triggers and not _CALL.search(body):
                named |= _words(sql) & known
                cascading |= _words(sql) & known
                continue
        return set(known)  # DO, SELECT f(), CALL, ALTER TYPE, unknown: anything
    return with_related(schema, named, cascading)


def with_related(schema: Schema, names: Iterable[str], cascading: Iterable[str] = ()
                 ) -> set[str]:
    """`names`, the tables whose rows a write to `cascading` can reach (foreign keys into
    them, at any depth: ON DELETE / ON UPDATE CASCADE, TRUNCATE ... CASCADE), and the
    tables all those rows reference, so that every generated row can be inserted."""
    children: dict[str, set[str]] = {t.name: set() for t in schema.tables}
    parents: dict[str, set[str]] = {t.name: set() for t in schema.tables}
    for table in schema.tables:
        for fk in table.foreign_keys:
            if fk.ref_table in children and fk.ref_table != table.name:
                children[fk.ref_table].add(table.name)
                parents[table.name].add(fk.ref_table)
    found = {n for n in names if n in children}
    found |= _closure({n for n in cascading if n in children}, children)
    return _closure(found, parents)


def _closure(start: set[str], edges: dict[str, set[str]]) -> set[str]:
    seen = set(start)
    todo = list(start)
    while todo:
        for other in edges[todo.pop()]:
            if other not in seen:
                seen.add(other)
                todo.append(other)
    return seen

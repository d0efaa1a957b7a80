"""The schema the migrations build, folded statement by statement with sqlglot, no database.

This is the static side of `models_match_migrations`: it needs no server, so it runs even
where Postgres is not available, and it names the file and line of whatever it could not
follow. A statement is either folded into the `Schema`, known to leave the schema alone
(INSERT, COMMENT, CREATE EXTENSION, ...), or recorded in `Schema.notes` as
"not folded: <file>:<line>: <first words>": never silently dropped.

Unnamed constraints and indexes get the names Postgres would give them (`users_pkey`,
`users_email_key`, `messages_role_check`), so a later `DROP CONSTRAINT users_email_key`
finds its target. Names are only bookkeeping: the comparer never compares them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from itertools import chain
from operator import attrgetter
from pathlib import Path

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.tokens import TokenType

from ..migrations.dialects import quiet_sqlglot
from ..migrations.model import Statement, canonical_dialect
from ..migrations.splitter import collector_paused as collector_paused  # re-exported
from .model import Check, Column, ColumnType, ForeignKey, Index, Schema, Table, Unique
from .types import (
    DIALECT_CAPABILITIES,
    SERIAL_TYPES,
    canonical_default,
    canonical_sql,
    columns_of_sql,
    entry_expression,
    from_sqlglot,
    index_entry,
    is_sequence_default,
    rename_column_sql,
)

# Statements that cannot change tables, columns, keys, indexes or enums.
_NO_SCHEMA_EFFECT = (exp.Insert, exp.Update, exp.Delete, exp.Query, exp.Merge, exp.Comment,
                     exp.Set, exp.Transaction, exp.Commit, exp.Rollback, exp.Grant, exp.Revoke,
                     exp.Analyze, exp.Use)
_NO_SCHEMA_EFFECT_WORDS = ("CREATE EXTENSION", "COMMENT ON", "GRANT", "REVOKE", "SET", "RESET",
                           "BEGIN", "COMMIT", "START TRANSACTION", "END", "ANALYZE", "VACUUM",
                           "INSERT", "UPDATE", "DELETE", "SELECT", "NOTIFY")
# What sqlglot keeps as a bare command but is simple enough to read here.
_ADD_VALUE = re.compile(
    r"ALTER\s+TYPE\s+(?P<type>[\w.\"]+)\s+ADD\s+VALUE\s+(?:IF\s+NOT\s+EXISTS\s+)?'(?P<label>(?:[^']|'')*)'"
    r"(?:\s+(?P<where>BEFORE|AFTER)\s+'(?P<other>(?:[^']|'')*)')?\s*;?\s*$", re.I | re.S)
_RENAME_VALUE = re.compile(
    r"ALTER\s+TYPE\s+(?P<type>[\w.\"]+)\s+RENAME\s+VALUE\s+'(?P<old>(?:[^']|'')*)'\s+TO\s+"
    r"'(?P<new>(?:[^']|'')*)'\s*;?\s*$", re.I | re.S)
_RENAME_CONSTRAINT = re.compile(
    r"ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?(?P<table>[\w.\"]+)\s+RENAME\s+CONSTRAINT\s+"
    r"(?P<old>[\w\"]+)\s+TO\s+(?P<new>[\w\"]+)\s*;?\s*$", re.I | re.S)
_VALIDATE = re.compile(r"ALTER\s+TABLE\s+.*\s+VALIDATE\s+CONSTRAINT\s+[\w\"]+\s*;?\s*$",
                       re.I | re.S)
_LEADING_COMMENTS = re.compile(r"^(\s*(--[^\n]*\n|/\*.*?\*/))*\s*", re.S)
_NAME = attrgetter("name")
_PK_NAME = attrgetter("pk_name")
_NAMED_ITEMS = attrgetter("uniques", "foreign_keys", "checks")
_ACTION = re.compile(
    r"ON\s+(DELETE|UPDATE)\s+(CASCADE|RESTRICT|NO\s+ACTION|SET\s+NULL|SET\s+DEFAULT)", re.I)


def _name(text: str) -> str:
    return text.strip('"').rsplit(".", 1)[-1].strip('"').lower()


def _table_name(node: exp.Expression) -> str:
    """`public.users` and `users` are one table; another schema keeps its prefix."""
    schema = node.args.get("db")
    prefix = schema.name.lower() if isinstance(schema, exp.Expression) else ""
    name = node.name.lower()
    return f"{prefix}.{name}" if prefix not in ("", "public", "main") else name


def _ident(node: exp.Expression) -> str:
    if isinstance(node, exp.Ordered):
        node = node.this
    return node.name.lower()


def first_words(sql: str, count: int = 6) -> str:
    """The start of a statement as a person recognizes it, comments skipped."""
    words = _LEADING_COMMENTS.sub("", sql, count=1).split()
    text = " ".join(words[:count])
    return text + (" ..." if len(words) > count else "")


@dataclass
class _Table:
    name: str
    columns: dict[str, Column] = field(default_factory=dict)
    primary_key: tuple[str, ...] = ()
    pk_name: str | None = None
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    uniques: list[Unique] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)


class _Fold:
    """The schema so far; `apply` moves it on by one statement."""

    def __init__(self, dialect: str) -> None:
        self.dialect = canonical_dialect(dialect)
        self.tables: dict[str, _Table] = {}
        self.indexes: dict[str, tuple[str, Index]] = {}  # index names are schema-wide
        self.enums: dict[str, tuple[str, ...]] = {}
        self.notes: list[str] = []

    # --- dispatch -----------------------------------------------------------------------
    def apply(self, statement: Statement) -> None:
        """Fold one statement, as written in the source dialect (`source_sql`)."""
        sql = statement.source_sql or statement.sql
        node = statement.expression
        if node is None and not statement.opaque:
            try:
                with quiet_sqlglot():
                    node = sqlglot.parse_one(sql, read=self.dialect)
            except SqlglotError:
                node = None
        if node is None or isinstance(node, exp.Command):
            folded = self._command(sql)
        elif isinstance(node, _NO_SCHEMA_EFFECT):
            folded = True
        elif isinstance(node, exp.Create):
            folded = self._create(node)
        elif isinstance(node, exp.Alter):
            folded = self._alter(node)
        elif isinstance(node, exp.Drop):
            folded = self._drop(node)
        else:
            folded = False
        if not folded:
            unread = f" (sqlglot cannot read it: {statement.unreadable})" \
                if statement.unreadable else ""
            self.notes.append(f"not folded: {statement.where}: {first_words(sql)}{unread}")

    def _command(self, sql: str) -> bool:
        text = _LEADING_COMMENTS.sub("", sql, count=1).strip()
        if match := _ADD_VALUE.match(text):
            name, label = _name(match["type"]), match["label"].replace("''", "'")
            if name not in self.enums:
                return False
            labels = list(self.enums[name])
            if label not in labels:
                other = (match["other"] or "").replace("''", "'")
                at = len(labels)
                if other in labels:
                    at = labels.index(other) + (match["where"].upper() == "AFTER")
                labels.insert(at, label)
            self.enums[name] = tuple(labels)
            return True
        if match := _RENAME_VALUE.match(text):
            name = _name(match["type"])
            old, new = match["old"].replace("''", "'"), match["new"].replace("''", "'")
            if old not in self.enums.get(name, ()):
                return False
            self.enums[name] = tuple(new if v == old else v for v in self.enums[name])
            return True
        if match := _RENAME_CONSTRAINT.match(text):
            names = (_name(match[k]) for k in ("table", "old", "new"))
            return self._rename_constraint(*names)
        if _VALIDATE.match(text):
            return True
        upper = " ".join(text.upper().split())
        return any(upper == w or upper.startswith(w + " ") for w in _NO_SCHEMA_EFFECT_WORDS)

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

    def _default(self, ctype: ColumnType, default: exp.Expression) -> tuple[str | None, bool]:
        """(canonical text, False), or (None, True) for DEFAULT nextval('seq'): what
        SERIAL spells out, so the column numbers itself and has no default of its own."""
        text = canonical_default(default, self.dialect, ctype)
        return (None, True) if is_sequence_default(text) else (text, False)

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

    # --- result -------------------------------------------------------------------------
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

    def schema(self) -> Schema:
        caps = DIALECT_CAPABILITIES.get(self.dialect, {})
        tables = []
        for t in sorted(self.tables.values(), key=lambda t: t.name):
            columns = []
            for col in t.columns.values():
                if col.type.family == "enum" and col.type.variant in self.enums:
                    col = replace(col, type=replace(col.type, values=self.enums[col.type.variant]))
                if col.name in t.primary_key:
                    col = replace(col, nullable=False)
                    # SQLite: a lone INTEGER PRIMARY KEY is the rowid, which numbers itself.
                    rowid = (len(t.primary_key) == 1 and not caps.get("exact_types", True)
                             and col.type == ColumnType("integer", 4))
                    col = replace(col, autoincrement=col.autoincrement or rowid)
                columns.append(col)
            fks = frozenset(
                replace(f, ref_columns=self.tables[f.ref_table].primary_key)
                if not f.ref_columns and f.ref_table in self.tables else f for f in t.foreign_keys)
            indexes = frozenset(i for owner, i in self.indexes.values() if owner == t.name)
            tables.append(Table(t.name, tuple(columns), t.primary_key, fks, frozenset(t.uniques),
                                indexes, frozenset(t.checks)))
        return Schema(tuple(tables), tuple(sorted(self.enums.items())), tuple(self.notes),
                      source="migrations", exact_types=caps.get("exact_types", True),
                      has_enums=caps.get("has_enums", True))


def _index_columns(index: Index) -> set[str]:
    entries = [entry_expression(c) for c in index.columns]
    used = {c for c in entries if c.isidentifier()}
    for element in entries:
        if not element.isidentifier():
            used |= columns_of_sql(element)
    return used | (set(columns_of_sql(index.where)) if index.where else set())


def from_sql(statements: Iterable[Statement], dialect: str) -> Schema:
    """Fold `statements` (in order) into the schema they build, written in `dialect`."""
    fold = _Fold(dialect)
    for statement in statements:
        fold.apply(statement)
    return fold.schema()


def split_text(text: str, dialect: str, path: str | Path = "<text>") -> list[Statement]:
    """Statements of `text` with their lines, by sqlglot's tokenizer (for tests and tools).

    The migrations layer has its own splitter; this one only needs to be right enough for
    SQL written inline, where dollar-quoted bodies and comments are still tokens.
    """
    read = canonical_dialect(dialect)
    tokens = sqlglot.Dialect.get_or_raise(read).tokenize(text)
    chunks: list[list] = [[]]
    for token in tokens:
        if token.token_type == TokenType.SEMICOLON:
            chunks.append([])
        else:
            chunks[-1].append(token)
    out = []
    for chunk in filter(None, chunks):
        sql = text[chunk[0].start:chunk[-1].end + 1]
        try:
            with quiet_sqlglot():
                tree = sqlglot.parse_one(sql, read=read)
        except SqlglotError:
            tree = None
        opaque = tree is None or isinstance(tree, exp.Command)
        out.append(Statement(sql, Path(path), chunk[0].line, sql, opaque,
                             None if opaque else tree))
    return out


def from_sql_text(text: str, dialect: str, path: str | Path = "<text>") -> Schema:
    """`from_sql` over SQL text split by sqlglot: a convenience for tests."""
    return from_sql(split_text(text, dialect, path), dialect)

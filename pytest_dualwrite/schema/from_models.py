"""The schema the user's SQLAlchemy models declare, as the `Schema` value.

Read as the DDL `metadata.create_all` would emit on `dialect`: a `with_variant` type,
`postgresql_where` versus `sqlite_where` and server defaults all depend on it, and the
comparison is only fair against what that dialect's database would really hold.
Python-side defaults (`default=uuid.uuid4`) never reach the database and are not compared.
"""

from __future__ import annotations

import importlib
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import UnaryExpression
from sqlalchemy.sql.operators import desc_op

from ..errors import ConfigError
from ..migrations.model import canonical_dialect
from .fragments import canonical_default, canonical_sql, index_entry, is_sequence_default
from .model import Check, Column, ColumnType, ForeignKey, Index, Schema, Table, Unique
from .types import DIALECT_CAPABILITIES, SA_DIALECT_NAMES, from_sqlalchemy, sa_dialect

SETTING = "dualwrite_models"


def resolve_metadata(target: object, setting: str = SETTING) -> sa.MetaData:
    """A MetaData from a MetaData, a declarative base, or "package.module:Base"; errors
    name `setting`, the one the user wrote it in."""
    obj = _import(target, setting) if isinstance(target, str) else target
    if isinstance(obj, sa.MetaData):
        return obj
    metadata = getattr(obj, "metadata", None)
    if isinstance(metadata, sa.MetaData):
        return metadata
    raise ConfigError(f"{setting}: {target!r} is a {type(obj).__name__}, not a SQLAlchemy "
                      "MetaData or declarative base")


def _import(spec: str, setting: str = SETTING) -> object:
    module_name, sep, attr = spec.strip().partition(":")
    if not sep or not module_name or not attr:
        raise ConfigError(f"{setting} = {spec!r}: expected 'package.module:Base' "
                          "(a declarative base or a MetaData)")
    try:
        obj: Any = importlib.import_module(module_name)
    except (Exception, SystemExit) as exc:  # the user's module may fail in any way (even
        # sys.exit at import, which would otherwise end the whole run): one line says how
        reason = " ".join(f"{type(exc).__name__}: {exc}".split())
        raise ConfigError(f"{setting} = {spec!r}: cannot import {module_name!r}: "
                          f"{reason}") from None
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise ConfigError(f"{setting} = {spec!r}: module {module_name!r} has no "
                              f"attribute {attr!r}") from None
    if not isinstance(getattr(obj, "metadata", obj), sa.MetaData):
        raise ConfigError(f"{setting} = {spec!r}: {attr} is a {type(obj).__name__}, not a "
                          "SQLAlchemy MetaData or declarative base")
    return obj


def from_models(target: object, *, dialect: str = "postgres") -> Schema:
    """The schema `target` (MetaData, declarative base, or import string) declares."""
    metadata = resolve_metadata(target)
    name = canonical_dialect(dialect)
    compiler = sa_dialect(name).ddl_compiler(sa_dialect(name), None)  # type: ignore[arg-type]
    tables, enums = [], {}
    for table in sorted(metadata.tables.values(), key=lambda t: t.fullname.lower()):
        tables.append(_table(table, name, compiler))
        for column in table.columns:
            ctype = from_sqlalchemy(column.type, name)
            if ctype.family == "enum" and ctype.variant:
                enums[ctype.variant] = ctype.values
    has_enums = DIALECT_CAPABILITIES.get(name, {}).get("has_enums", True)
    return Schema(tuple(tables), tuple(sorted(enums.items())) if has_enums else (),
                  source="models", has_enums=has_enums)


def _sql(compiler: Any, clause: Any) -> str:
    return compiler.sql_compiler.process(clause, include_table=False, literal_binds=True)


def _name(item: Any) -> str | None:
    """A constraint's given name; SQLAlchemy's "no name" markers are not names."""
    return item.name if isinstance(item.name, str) else None


def _emitted(item: Any, compiler: Any) -> bool:
    """Whether create_all emits it here (a Boolean's CHECK is not emitted on Postgres)."""
    should = getattr(item, "_should_create_for_compiler", None)
    return should is None or bool(should(compiler))


def _column(column: sa.Column, table: sa.Table, dialect: str, compiler: Any) -> Column:
    ctype = from_sqlalchemy(column.type, dialect)
    default = None
    if isinstance(column.server_default, sa.DefaultClause):
        default = canonical_default(compiler.get_column_default_string(column), dialect, ctype)
    if dialect == "sqlite":
        # SQLite numbers a lone INTEGER PRIMARY KEY (the rowid), whatever the model says,
        # and nothing else: a BIGINT key or an Identity() gets no values there.
        auto = list(table.primary_key.columns) == [column] and ctype == ColumnType("integer", 4)
    else:
        auto = column.identity is not None or column is table.autoincrement_column
        if is_sequence_default(default):  # server_default=text("nextval('seq')")
            auto, default = True, None
    nullable = bool(column.nullable) and not column.primary_key
    return Column(column.name.lower(), ctype, nullable, default=default, autoincrement=auto)


def _table(table: sa.Table, dialect: str, compiler: Any) -> Table:
    columns = tuple(_column(c, table, dialect, compiler) for c in table.columns)
    checks = [c for c in table.constraints if isinstance(c, sa.CheckConstraint)]
    for column in table.columns:
        checks += [c for c in column.constraints if isinstance(c, sa.CheckConstraint)]
    checks = [c for c in checks if _emitted(c, compiler)]
    uniques = frozenset(
        Unique(tuple(c.name.lower() for c in u.columns), _name(u))
        for u in table.constraints if isinstance(u, sa.UniqueConstraint) and _emitted(u, compiler))
    foreign_keys = frozenset(_foreign_key(fk) for fk in table.foreign_key_constraints)
    option = SA_DIALECT_NAMES.get(dialect, dialect)
    indexes = frozenset(_index(i, option, dialect, compiler) for i in table.indexes)
    return Table(
        name=table.fullname.lower(),
        columns=columns,
        primary_key=tuple(c.name.lower() for c in table.primary_key.columns),
        foreign_keys=foreign_keys,
        uniques=uniques,
        indexes=indexes,
        checks=frozenset(Check(canonical_sql(_sql(compiler, c.sqltext), dialect), _name(c))
                         for c in checks),
    )


def _foreign_key(fk: sa.ForeignKeyConstraint) -> ForeignKey:
    targets = [element.target_fullname.lower().rsplit(".", 1) for element in fk.elements]
    return ForeignKey(
        columns=tuple(c.name.lower() for c in fk.columns),
        ref_table=targets[0][0],
        ref_columns=tuple(t[1] for t in targets),
        on_delete=" ".join((fk.ondelete or "NO ACTION").upper().split()),
        on_update=" ".join((fk.onupdate or "NO ACTION").upper().split()),
        name=_name(fk),
    )


PARTIAL = ("postgresql", "sqlite")  # the dialects with partial indexes


def _index(index: sa.Index, option: str, dialect: str, compiler: Any) -> Index:
    columns = []
    for element in index.expressions:
        # `ts.desc()` is the column ts sorted descending, not an expression named "desc".
        descending = isinstance(element, UnaryExpression) and element.modifier is desc_op
        if descending:
            element = element.element
        if isinstance(element, sa.Column):
            columns.append(index_entry(element.name.lower(), descending))
        else:
            columns.append(index_entry(canonical_sql(_sql(compiler, element), dialect),
                                       descending))
    where = None
    if option in PARTIAL:
        # The backend's own predicate; else the other one's: Postgres-dialect migrations
        # keep `WHERE` when they are transpiled to SQLite, so a model written for Postgres
        # (`postgresql_where` only) declares the index the SQLite database really holds.
        where = next((w for w in (index.dialect_options[d].get("where")
                                  for d in (option, *(p for p in PARTIAL if p != option)))
                      if w is not None), None)
    return Index(tuple(columns), unique=bool(index.unique),
                 where=canonical_sql(_sql(compiler, where), dialect) if where is not None else None,
                 name=_name(index))

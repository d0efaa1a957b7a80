"""`each_step_preserves_rows`: data generated at version N survives migration N+1.

For every step, hypothesis generates rows for every table at N (types, lengths, NOT NULL,
UNIQUE, FK order), copies each table into a temporary table, applies the step, and asks
the database whether every kept row is still there, column by column for the columns
that survive (renames followed). A dropped table or column that held data fails unless
the migration declares it (`-- dualwrite: drops accounts.display_name`).
"""

from __future__ import annotations

from typing import Any

import hypothesis
import sqlalchemy as sa
import sqlglot.expressions as exp

from .backends.base import Backend
from .dualwrite.compare import Projection, compare, create_temp_as, describe
from .errors import DualWriteAssertion
from .migrations.model import Migration, Statement
from .migrations.runner import Runner
from .schema.model import Schema
from .strategies import rows_for_tables, sqlalchemy_table


def renames(statements: list[Statement]) -> tuple[dict[str, str], dict[tuple[str, str], str]]:
    """Table renames {old: new} and column renames {(table, old): new} a step makes."""
    tables: dict[str, str] = {}  # original name -> final name
    columns: dict[tuple[str, str], str] = {}  # (original table, original column) -> final
    for statement in statements:
        tree = statement.expression
        if not isinstance(tree, exp.Alter) or tree.this is None:
            continue
        current = tree.this.name.lower()
        # The table as it was called before the step (it may have been renamed earlier in it).
        table = next((old for old, new in tables.items() if new == current), current)
        for action in tree.args.get("actions") or []:
            if isinstance(action, exp.RenameColumn):
                old, new = action.this.name.lower(), action.args["to"].name.lower()
                original = next((c for (t, c), n in columns.items() if t == table and n == old),
                                old)
                columns[(table, original)] = new
            elif isinstance(action, exp.AlterRename):
                tables[table] = action.this.name.lower()
    return tables, columns


def _declared(migration: Migration, table: str, column: str | None = None) -> bool:
    names = migration.declared_drops
    return table in names or (column is not None and f"{table}.{column}" in names)


def _reflect(conn: sa.Connection) -> Schema:
    from .schema.from_database import from_database

    return from_database(conn)


def check_steps(session: Any, backend: Backend) -> None:
    runner: Runner = session.runner(backend.name)
    settings = session.hypothesis_settings()
    steps = len(runner.migrations)
    # Share the run's examples among the steps, at least 10 each.
    per_step = max(10, settings.max_examples // max(steps, 1))
    step_settings = hypothesis.settings(settings, max_examples=per_step)
    for position in range(1, steps):
        _check_step(runner, backend, position, step_settings)


def _check_step(runner: Runner, backend: Backend, position: int,
                settings: hypothesis.settings) -> None:
    migration = runner.migrations[position]
    key = ("steps", id(runner), position)

    def build(db: Any) -> None:
        runner.migrate_to_index_engine(db.engine, position)

    template = backend.template(key, build)
    schema = _reflect_engine(template.engine)
    names = [t.name for t in schema.tables if t.name not in runner.own_tables]
    if not names:
        return
    table_renames, column_renames = renames(runner.statements(migration, "up"))
    # A step that fails on empty tables fails whatever the rows: say so in its one line
    # (file:line, the server's message), not under a hypothesis example of no rows.
    with backend.checkout(key, build) as conn:
        runner.apply(conn, migration)
    strategy = rows_for_tables(schema, names, backend=backend.name)

    @hypothesis.settings(settings)
    @hypothesis.given(rows=strategy)
    def step_keeps_rows(rows: dict[str, list[dict[str, Any]]]) -> None:
        with backend.checkout(key, build) as conn:
            kept: dict[str, Projection] = {}
            for name, batch in rows.items():
                table = sqlalchemy_table(schema.table(name))
                if batch:
                    try:
                        with conn.begin_nested():
                            conn.execute(sa.insert(table), batch)
                    except (sa.exc.IntegrityError, sa.exc.DataError):
                        hypothesis.reject()
                temp = f"dw_step_{name}"
                create_temp_as(conn, temp, sa.select(*(c.label(c.key) for c in table.c)))
                source = sa.table(temp, *(sa.column(c.key) for c in table.c))
                kept[name] = Projection(sa.select(*source.c), f"{name} before")
            runner.apply(conn, migration)
            after = _reflect(conn)
            for name, batch in rows.items():
                _verify(conn, migration, schema, after, name, batch, kept[name],
                        table_renames, column_renames)

    step_keeps_rows()


def _reflect_engine(engine: sa.Engine) -> Schema:
    try:
        with engine.connect() as conn:
            return _reflect(conn)
    finally:
        engine.dispose()


def _verify(conn: sa.Connection, migration: Migration, before: Schema, after: Schema,
            name: str, batch: list[dict[str, Any]], kept: Projection,
            table_renames: dict[str, str], column_renames: dict[tuple[str, str], str]) -> None:
    new_name = table_renames.get(name, name)
    label = f"{migration.label}"
    if not after.has_table(new_name):
        if batch and not _declared(migration, name):
            raise DualWriteAssertion(
                f"{label} drops table {name} holding {len(batch)} row(s)",
                [("what to do", f"declare it in the migration: -- dualwrite: drops {name}")])
        return
    old_table, new_table = before.table(name), after.table(new_name)
    pairs: list[tuple[str, str]] = []  # (column before, column after)
    for column in old_table.column_names:
        target = column_renames.get((name, column), column)
        if target in new_table.column_names:
            if not _declared(migration, name, column):
                pairs.append((column, target))
            continue
        holding = [r for r in batch if r.get(column) is not None]
        if holding and not _declared(migration, name, column):
            raise DualWriteAssertion(
                f"{label} drops column {name}.{column} holding data in {len(holding)} row(s)",
                [("what to do",
                  f"declare it in the migration: -- dualwrite: drops {name}.{column}")])
    if not pairs or not batch:
        return
    fields = [p[0] for p in pairs]
    # In SQL as the database spells them (a quoted "Accounts" keeps its case).
    spelled = {a: new_table.column(a).sql_name for _, a in pairs}
    source = sa.table(new_table.sql_name, *(sa.column(s) for s in spelled.values()))
    now = Projection(sa.select(*(source.c[spelled[a]].label(b) for b, a in pairs)),
                     f"{new_name} after")
    # Key by the primary key where it survives, so a changed value reads as key, field,
    # old and new; else every column is the key (a row changed = one missing, one extra).
    key = list(old_table.primary_key) if old_table.primary_key and all(
        k in fields for k in old_table.primary_key) else fields
    result = compare(conn, kept, now, key, fields)
    if not result.equal:
        raise DualWriteAssertion(
            f"{label} changed or lost rows of {name}",
            [("rows before vs after the step",
              describe(result, f"{name} before {migration.label}",
                       f"{new_name} after {migration.label}"))])

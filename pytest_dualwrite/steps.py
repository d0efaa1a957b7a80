"""`each_step_preserves_rows`: data generated at version N survives migration N+1.

For every step, hypothesis generates rows at N (types, lengths, NOT NULL, UNIQUE, FK
order) for the tables the step may change (`step_tables`), copies each into a temporary
table, applies the step, and asks the database whether every kept row is still there,
column by column for the columns that survive (renames followed). A dropped table or
column that held data fails unless the migration declares it
(`-- dualwrite: drops accounts.display_name`). A step that touches no table holding rows
(a new table, an index, a view) is applied without examples.

On Postgres one database walks the history once (DDL is transactional: every example is
rolled back); elsewhere each step's template is a clone of the previous one plus a step.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any

import hypothesis
import sqlalchemy as sa
import sqlglot.expressions as exp

from .backends.base import Backend, Database
from .dualwrite.compare import Projection, compare, create_temp_as, describe
from .dualwrite.engine import replay_reports
from .errors import Abort, DualWriteAssertion, DualWriteError, MigrationError, only_once
from .migrations.model import Migration, PythonStep, Statement
from .migrations.runner import Runner
from .schema.model import Schema, Table
from .step_tables import tables_touched
from .strategies import rows_for_tables, sqlalchemy_table

# Rows per table per example. Two already show a lost UNIQUE or a collision; more multiply
# what hypothesis draws and what it tries while shrinking a failure (most of the time of
# a failing history), and they find nothing the next example's few rows would not.
STEP_ROWS = 4


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


def check_steps(session: Any, backend: Backend, *, keep_going: bool = False
                ) -> list[Exception]:
    """Check every step; raise at the first that loses rows (or, with `keep_going`, a
    benchmark's mode, collect each failure, apply that step as a deploy would, go on)."""
    runner: Runner = session.runner(backend.name)
    settings = session.hypothesis_settings()
    steps = len(runner.migrations)
    # Share the run's examples among the steps, at least 10 each.
    per_step = max(10, settings.max_examples // max(steps, 1))
    step_settings = hypothesis.settings(settings, max_examples=per_step)
    walk = _walk_one_database if backend.name == "postgres" else _walk_templates
    return walk(runner, backend, step_settings, keep_going)


@dataclass
class _Step:
    """One step to check: the schema before and after it, and the tables to fill."""

    runner: Runner
    migration: Migration
    before: Schema
    after: Schema
    names: list[str]
    backend: str
    copies_ready: bool = False  # the empty kept copies exist: examples fill them


def _kept_name(table: str) -> str:
    return f"dw_step_{table}"


@contextmanager
def _kept_copies(conn: sa.Connection, schema: Schema, names: list[str]) -> Iterator[None]:
    """Empty temporary copies of the tables, made once for a step's examples (each
    example fills them and its rollback empties them), dropped after."""
    with conn.begin():
        for name in names:
            table = sqlalchemy_table(schema.table(name))
            create_temp_as(conn, _kept_name(name),
                           sa.select(*(c.label(c.key) for c in table.c)).where(sa.false()))
    try:
        yield
    finally:
        if conn.in_transaction():
            conn.rollback()
        with conn.begin():
            for name in names:
                quoted = conn.dialect.identifier_preparer.quote(_kept_name(name))
                conn.exec_driver_sql(f"DROP TABLE IF EXISTS pg_temp.{quoted}")


def _scope(runner: Runner, migration: Migration, before: Schema,
           conn: sa.Connection) -> list[str]:
    """The tables at N (in insert order) whose rows the step may change or refuse."""
    own = runner.own_tables
    touched = tables_touched(runner.statements(migration, "up"), before,
                             lambda: _has_triggers(conn))
    if isinstance(migration.up, PythonStep):
        touched = {t.name for t in before.tables}  # code: anything
    return [t.name for t in before.tables if t.name in touched and t.name not in own]


def _has_triggers(conn: sa.Connection) -> bool:
    """Whether a user trigger (or, on Postgres, a rule) could redirect a write."""
    if conn.dialect.name == "postgresql":
        sql = ("SELECT EXISTS (SELECT 1 FROM pg_trigger WHERE NOT tgisinternal) OR EXISTS "
               "(SELECT 1 FROM pg_rules WHERE schemaname <> 'pg_catalog')")
    elif conn.dialect.name == "sqlite":
        sql = "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'trigger')"
    else:
        return True
    return bool(conn.exec_driver_sql(sql).scalar())


def _walk_one_database(runner: Runner, backend: Backend, settings: hypothesis.settings,
                       keep_going: bool) -> list[Exception]:
    """Postgres: one database and one connection walk the history once.

    DDL is transactional there, so each step is tried in a transaction (a step that fails
    on empty tables says so in its own line), each example inserts, migrates and compares
    in a transaction rolled back after it, and only then is the step applied for good: N
    steps cost about one upgrade plus the examples, not one database built per step.
    """
    failures: list[Exception] = []
    db = backend.create_database()
    try:
        with db.engine.connect() as conn:
            runner.migrate_to_index(conn, 1)
            before: Schema | None = None  # None: not read since the last step
            for position in range(1, len(runner.migrations)):
                migration = runner.migrations[position]
                if not _may_need_rows(runner, migration, conn):
                    runner.apply(conn, migration)  # a new table, an index: nothing to fill
                    before = None
                    continue
                with conn.begin() as trial:
                    if before is None:
                        before = _reflect(conn)
                    names = _scope(runner, migration, before, conn)
                    runner.apply(conn, migration)
                    after = _reflect(conn)
                    if names:
                        trial.rollback()
                if not names:  # the trial, committed, was the step
                    before = after
                    continue

                @contextmanager
                def example(conn: sa.Connection = conn) -> Iterator[sa.Connection]:
                    transaction = conn.begin()
                    try:
                        yield conn
                    finally:
                        if transaction.is_active:
                            transaction.rollback()

                step = _Step(runner, migration, before, after, names, backend.name, True)
                with _kept_copies(conn, before, names):
                    _run_examples(step, settings, example, keep_going, failures)
                runner.apply(conn, migration)
                before = after
    finally:
        backend.drop(db)
    return failures


def _may_need_rows(runner: Runner, migration: Migration, conn: sa.Connection) -> bool:
    """Whether the step may touch a table that exists, asked with the table names alone
    (one query) so that a step adding a table or an index costs no schema read."""
    names = [n for n in sa.inspect(conn).get_table_names() if n not in runner.own_tables]
    bare = Schema(tables=tuple(Table(n, ()) for n in names))
    try:
        return bool(_scope(runner, migration, bare, conn))
    finally:
        conn.rollback()


def _walk_templates(runner: Runner, backend: Backend, settings: hypothesis.settings,
                    keep_going: bool) -> list[Exception]:
    """Other backends: a template database per step, each a clone of the one before moved
    on by one step; every example is a checkout of it."""
    failures: list[Exception] = []
    previous: Database | None = None
    for position in range(1, len(runner.migrations)):
        migration = runner.migrations[position]
        key = ("steps", id(runner), position)

        def build(db: Database, position: int = position) -> None:
            runner.migrate_to_index_engine(db.engine, position)

        template = (backend.template(key, build) if previous is None
                    else backend.template_from(key, previous, build))
        previous = template
        before = _reflect_engine(template.engine)
        # A step that fails on empty tables fails whatever the rows: say so in its one line
        # (file:line, the server's message), not under a hypothesis example of no rows.
        with backend.checkout(key, build) as conn:
            names = _scope(runner, migration, before, conn)
            runner.apply(conn, migration)
            after = _reflect(conn)
        if names:
            step = _Step(runner, migration, before, after, names, backend.name)
            _run_examples(step, settings, lambda key=key, build=build: backend.checkout(
                key, build), keep_going, failures)
    return failures


def _run_examples(step: _Step, settings: hypothesis.settings,
                  example: Callable[[], AbstractContextManager[sa.Connection]],
                  keep_going: bool, failures: list[Exception]) -> None:
    try:
        _examples(step, settings, example)
    except Exception as exc:
        if not keep_going:
            raise
        known = isinstance(exc, (DualWriteError, DualWriteAssertion))
        failures.append(exc if known else DualWriteError(
            f"{step.migration.label}: {type(exc).__name__}: {exc}"))


def _examples(step: _Step, settings: hypothesis.settings,
              example: Callable[[], AbstractContextManager[sa.Connection]]) -> None:
    """Hypothesis' examples for one step: rows at N, the step, every kept row compared."""
    runner, migration, schema = step.runner, step.migration, step.before
    table_renames, column_renames = renames(runner.statements(migration, "up"))
    tables = {name: sqlalchemy_table(schema.table(name)) for name in step.names}
    strategy = rows_for_tables(schema, step.names, backend=step.backend, max_size=STEP_ROWS)

    def step_keeps_rows(rows: dict[str, list[dict[str, Any]]]) -> None:
        with example() as conn:
            kept: dict[str, Projection] = {}
            for name, batch in rows.items():
                if not batch:  # nothing generated here, nothing this example can lose
                    continue
                table = tables[name]
                try:  # no savepoint: a refused batch ends the example, rolled back whole
                    conn.execute(sa.insert(table), batch)
                except (sa.exc.IntegrityError, sa.exc.DataError):
                    hypothesis.reject()
                # The copy's columns by their folded names (a quoted "Owner" is `owner`).
                source = sa.table(_kept_name(name), *(sa.column(c.key) for c in table.c))
                if step.copies_ready:  # one INSERT, not a table made per example
                    conn.execute(sa.insert(source).from_select(
                        [c.key for c in table.c], sa.select(*table.c)))
                else:
                    create_temp_as(conn, source.name,
                                   sa.select(*(c.label(c.key) for c in table.c)))
                kept[name] = Projection(sa.select(*source.c), f"{name} before")
            runner.apply(conn, migration)
            for name, projection in kept.items():
                _verify(conn, migration, schema, step.after, name, rows[name], projection,
                        table_renames, column_renames)

    _given(step_keeps_rows, strategy, settings)


def _given(body: Callable[..., None], strategy: Any, settings: hypothesis.settings) -> None:
    """Run `body` under hypothesis; a step the server refuses is raised as found.

    A step the server refuses on some rows (`ADD COLUMN ... NOT NULL` on a filled table)
    fails with the server's message and file:line; shrinking the few rows an example holds
    would take most of the check's time (hundreds of examples on a real history) and say
    nothing more, so that failure leaves hypothesis as an `Abort`, which it does not
    shrink (after one more run on the same rows, to tell a step that fails on some call
    only). Any other failure (rows lost or changed) is shrunk in the same run. (Two runs,
    the second replaying the first's example from a database, never shrank: hypothesis
    takes an example it reuses from its database as already shrunk.)
    """
    def refusals_abort(rows: dict[str, list[dict[str, Any]]]) -> None:
        try:
            body(rows)
        except MigrationError as exc:
            try:  # once more on the same rows: a step that fails on some call only says so
                body(rows)
            except MigrationError:
                raise Abort(exc) from exc
            raise Abort(MigrationError(only_once(str(exc)))) from exc

    printed: list[object] = []  # held back: hypothesis' seed line says nothing of a refusal
    try:
        with hypothesis.reporting.with_reporter(printed.append):
            hypothesis.settings(settings)(hypothesis.given(rows=strategy)(refusals_abort))()
    except Abort as abort:
        raise abort.error from abort.__cause__
    except BaseException:
        replay_reports(printed)
        raise
    replay_reports(printed)


def _reflect_engine(engine: sa.Engine) -> Schema:
    try:
        with engine.connect() as conn:
            return _reflect(conn)
    finally:
        engine.dispose()


def _how_to_declare(migration: Migration, name: str) -> str:
    """The declaration in the step's own language: a comment in SQL or in an Alembic
    revision, `DUALWRITE_DROPS` in a Python step."""
    if migration.convention == "alembic":
        return f"declare it in the revision: # dualwrite: drops {name}"
    if migration.convention == "python":
        return f'declare it in the step: DUALWRITE_DROPS = ["{name}"]'
    return f"declare it in the migration: -- dualwrite: drops {name}"


def _verify(conn: sa.Connection, migration: Migration, before: Schema, after: Schema,
            name: str, batch: list[dict[str, Any]], kept: Projection,
            table_renames: dict[str, str], column_renames: dict[tuple[str, str], str]) -> None:
    new_name = table_renames.get(name, name)
    label = f"{migration.label}"
    if not after.has_table(new_name):
        if batch and not _declared(migration, name):
            raise DualWriteAssertion(
                f"{label} drops table {name} holding {len(batch)} row(s)",
                [("what to do", _how_to_declare(migration, name))])
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
                [("what to do", _how_to_declare(migration, f"{name}.{column}"))])
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

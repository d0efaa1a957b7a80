"""The built-in migration checks as plain functions `(session, backend) -> None`.

The plugin collects them as `<migrations>::<check>[<backend>]`; a script can call them
with a `Session` of its own. Each raises a `DualWriteAssertion` (or a one-line
`MigrationError`) that names the migration, file and line concerned.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .backends.base import Backend
from .errors import DualWriteAssertion, DualWriteError, MigrationError
from .migrations.model import canonical_dialect
from .migrations.runner import VERSION_TABLE, Runner

Check = Callable[[Any, Backend], None]


def migrations_are_well_formed(session: Any, backend: Backend | None) -> list[str]:
    """Numbering, one convention, lock (all in discovery), and every statement parses and
    transpiles for this backend (file:line on error). Returns the notes a pass carries:
    files the tool would run that the plugin cannot (a Flyway Java migration)."""
    runner = session.runner(backend.name if backend else session.settings.dialect)
    runner.prepare_all()
    admin = getattr(backend, "admin", None)  # a Postgres server's engine
    if admin is not None and runner.source == runner.target == "postgres":
        from .migrations.server_syntax import check_with_server

        # downs included: what sqlglot cannot read, the server parses (never runs)
        check_with_server(admin(), runner)
    return list(runner.reading_notes)


def upgrade_from_empty(session: Any, backend: Backend) -> None:
    runner: Runner = session.runner(backend.name)
    db = backend.create_database()
    try:
        runner.migrate_to_index_engine(db.engine, len(runner.migrations))
    finally:
        backend.drop(db)


def downgrade_leaves_no_trace(session: Any, backend: Backend) -> None:
    """For every step with a down: schema after up+down equals the schema before up."""
    from .schema.diff import diff
    from .schema.from_database import from_database
    from .schema.render import render

    runner: Runner = session.runner(backend.name)
    db = backend.create_database()
    try:
        with db.engine.connect() as conn:
            runner.ensure_version_table(conn)
            conn.commit()
            for position, migration in enumerate(runner.migrations, 1):
                if migration.down is None:
                    runner.migrate_to_index(conn, position)
                    continue
                before = from_database(conn)
                runner.migrate_to_index(conn, position)
                runner.migrate_to_index(conn, position - 1)
                after = from_database(conn)
                differences = diff(before, after)
                if differences:
                    raise DualWriteAssertion(
                        f"{migration.label}: up then down does not restore the schema",
                        [("schema before up vs after down",
                          render(differences, title=f"before {migration.label} vs after "
                                 "its down"))])
                runner.migrate_to_index(conn, position)
    finally:
        backend.drop(db)


def each_step_preserves_rows(session: Any, backend: Backend) -> None:
    from .steps import check_steps

    check_steps(session, backend)


def models_match_migrations(session: Any, backend: Backend | None) -> None:
    """The models equal what the migrations build: by reflection, or statically by fold."""
    from .schema.diff import diff, notes_for
    from .schema.from_models import from_models
    from .schema.render import render

    dialect = backend.name if backend is not None else canonical_dialect(session.settings.dialect)
    expected = from_models(session.settings.models, dialect=dialect)
    if backend is None:
        from .migrations.static import static_sql
        from .schema.from_sql import from_sql

        runner: Runner = session.runner(dialect)
        sql = static_sql(session.migrations_or_none()[0], runner)
        actual = from_sql(sql.statements, sql.dialect)
        path = f"static ({sql.label})"
    else:
        runner = session.runner(backend.name)
        db = backend.database_at(("head", id(runner)),
                                 lambda d: runner.migrate_to_index_engine(
                                     d.engine, len(runner.migrations)))
        try:
            from .schema.from_database import from_database

            actual = from_database(db.engine)
        finally:
            backend.drop(db)
        path = backend.name
    # The tool's own bookkeeping table (schema_migrations) is not the user's schema.
    ignore = (*session.settings.drift_ignore, *runner.own_tables)
    differences = diff(expected, actual, ignore=ignore)
    if differences:
        raise DualWriteAssertion(
            f"models differ from the migrations ({path}): {len(differences)} difference(s)",
            [("drift", render(differences, expected="models", actual="migrations",
                              title=f"models vs migrations ({path})",
                              notes=notes_for(expected, actual)))])


MIGRATION_CHECKS: dict[str, Check] = {
    "migrations_are_well_formed": migrations_are_well_formed,
    "upgrade_from_empty": upgrade_from_empty,
    "each_step_preserves_rows": each_step_preserves_rows,
    "downgrade_leaves_no_trace": downgrade_leaves_no_trace,
    "models_match_migrations": models_match_migrations,
}


def migration_checks(session: Any) -> list[tuple[str, str, Check | None, str | None]]:
    """(check, backend, function, skip reason) for every migration item of the run.

    A folder that cannot be read still yields its items, failing with the one-line reason,
    so the report names the problem where the user looks for it.
    """
    problem: str | None = None
    migrations: list[Any] = []
    try:
        found = session.migrations_or_none()
        migrations = found[0] if found else []
    except DualWriteError as exc:
        problem = str(exc)
    backends = list(session.backend_names)
    items: list[tuple[str, str, Check | None, str | None]] = []
    for name, fn in MIGRATION_CHECKS.items():
        if name == "downgrade_leaves_no_trace" and problem is None and not any(
                m.down is not None for m in migrations):
            continue
        if name == "models_match_migrations" and not session.settings.models:
            continue
        # [static]: the SQL files, or the SQL Alembic's offline mode writes
        targets = backends + (["static"] if name == "models_match_migrations" else [])
        for backend in targets:
            items.append((name, backend, _failing(problem) if problem else fn, None))
    return items


def _failing(message: str) -> Check:
    def fail(session: Any, backend: Backend | None) -> None:
        raise MigrationError(message)

    return fail


__all__ = ["MIGRATION_CHECKS", "VERSION_TABLE", "migration_checks"]

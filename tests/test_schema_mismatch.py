"""Planted mismatches: each reported once, with its table, object and both sides' words.

Every plant is checked on every path that can see it: the static fold of the migrations,
Postgres reflection, and SQLite reflection (a database built from the unplanted models).
The models are the expected side, the migrations/database the actual one.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from pytest_dualwrite.schema.diff import diff, notes_for
from pytest_dualwrite.schema.from_database import from_database
from pytest_dualwrite.schema.from_models import from_models
from pytest_dualwrite.schema.model import Schema
from pytest_dualwrite.schema.render import render

from .test_schema_seed import Base, apply_to_postgres, declare, static_schema

# plant -> (table, object kind, object name, expected (models), actual (migrations))
PLANTS = {
    "length": ("users", "type", "email", "varchar(100)", "varchar(255)"),
    "nullable": ("tasks", "nullable", "due_at", "NOT NULL", "NULL"),
    "unique": ("users", "unique", "(email)", "absent", "present"),
    "extra_column": ("messages", "column", "edited_at", "timestamp with time zone NULL", "absent"),
    "index": ("messages", "index", "(conversation_id, created_at)", "absent", "index"),
    "on_delete": ("conversations", "foreign_key", "(task_id) -> tasks(id)",
                  "ON DELETE CASCADE", "ON DELETE SET NULL"),
    "check": ("messages", "check", "(role)", "role IN ('assistant', 'system', 'user')",
              "role IN ('assistant', 'system', 'tool', 'user')"),
    "family": ("messages", "type", "content", "integer", "text"),
}
PATHS = ("static", pytest.param("postgres", marks=pytest.mark.postgres), "sqlite")


def actual_schema(path: str, request: pytest.FixtureRequest) -> Schema:
    if path == "static":
        return static_schema()
    if path == "postgres":
        engine: sa.Engine = request.getfixturevalue("pg_engine")
        apply_to_postgres(engine)
        return from_database(engine)
    engine = request.getfixturevalue("sqlite_engine")
    Base.metadata.create_all(engine)
    return from_database(engine)


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("plant", sorted(PLANTS))
def test_planted_mismatch_is_reported(plant: str, path: str,
                                      request: pytest.FixtureRequest) -> None:
    actual = actual_schema(path, request)
    models = from_models(declare(plant), dialect="sqlite" if path == "sqlite" else "postgres")
    found = diff(models, actual)
    assert [(d.table, d.object_kind, d.object_name, d.expected, d.actual) for d in found] == [
        PLANTS[plant]]
    assert PLANTS[plant][0] in render(found, expected="models", actual="migrations")


def test_sqlite_type_difference_says_it_was_compared_loosely(sqlite_engine: sa.Engine) -> None:
    Base.metadata.create_all(sqlite_engine)
    live = from_database(sqlite_engine)
    [found] = diff(from_models(declare("family"), dialect="sqlite"), live)
    assert found.note == "compared by storage class: sqlite keeps declared type text"
    assert any(n.startswith("types compared by storage class only: sqlite")
               for n in notes_for(from_models(Base), live))


@pytest.mark.parametrize("path", PATHS)
def test_all_plants_at_once_are_all_reported(path: str, request: pytest.FixtureRequest) -> None:
    """Mismatches do not hide each other: all eight together give exactly eight lines."""
    actual = actual_schema(path, request)
    models = from_models(declare(*PLANTS), dialect="sqlite" if path == "sqlite" else "postgres")
    found = {(d.table, d.object_kind, d.object_name, d.expected, d.actual)
             for d in diff(models, actual)}
    assert found == set(PLANTS.values())

"""What a person sees: the rendered table, ignore rules, and one-line model errors."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from pytest_dualwrite.errors import ConfigError
from pytest_dualwrite.schema.diff import Difference, diff, is_ignored, notes_for, skipped
from pytest_dualwrite.schema.from_models import from_models
from pytest_dualwrite.schema.from_sql import from_sql_text
from pytest_dualwrite.schema.model import Schema
from pytest_dualwrite.schema.render import render

from .test_schema_seed import declare, static_schema

FOUND = [
    Difference("users", "type", "email", "varchar(100)", "varchar(255)", columns=("email",)),
    Difference("conversations", "foreign_key", "(task_id) -> tasks(id)",
               "ON DELETE CASCADE", "ON DELETE SET NULL", columns=("task_id",)),
    Difference("tasks", "type", "due_at", "timestamp with time zone", "text",
               note="compared by storage class: sqlite keeps declared type text",
               columns=("due_at",)),
]


def test_render_shape() -> None:
    text = render(FOUND, expected="models", actual="migrations", backend="sqlite",
                  notes=["not folded: 004.sql:7: DO $$ BEGIN ..."])
    assert text == """\
models vs migrations (sqlite): 3 differences

table         | object                             | expected                 | actual
--------------+------------------------------------+--------------------------+-------------------
users         | type email                         | varchar(100)             | varchar(255)
conversations | foreign key (task_id) -> tasks(id) | ON DELETE CASCADE        | ON DELETE SET NULL
tasks         | type due_at                        | timestamp with time zone | text

notes:
- tasks: type due_at: compared by storage class: sqlite keeps declared type text
- not folded: 004.sql:7: DO $$ BEGIN ..."""


def test_render_without_differences_keeps_the_notes() -> None:
    assert render([], expected="models", actual="postgres") == "models vs postgres: no differences"
    titled = render(FOUND[:1], title="models vs migrations (static)")
    assert titled.splitlines()[0] == "models vs migrations (static): 1 difference"
    one = render(FOUND[:1], notes=["sqlite: something"])
    assert one.splitlines()[0] == "expected vs actual: 1 difference"
    assert one.endswith("notes:\n- sqlite: something")


def test_real_report_reads_in_seconds() -> None:
    found = diff(from_models(declare("length", "index")), static_schema())
    lines = render(found, expected="models", actual="migrations").splitlines()
    assert lines[0] == "models vs migrations: 2 differences"
    assert lines[2].split("|")[0].strip() == "table"
    assert [[cell.strip() for cell in line.split("|")] for line in lines[4:6]] == [
        ["messages", "index (conversation_id, created_at)", "absent", "index"],
        ["users", "type email", "varchar(100)", "varchar(255)"]]


@pytest.mark.parametrize(("patterns", "left"), [
    ([], 3),
    (["users"], 2),
    (["USERS.email"], 2),
    (["users.name"], 3),
    (["*.due_at"], 2),
    (["kind:type"], 1),
    (["kind:foreign_*", "tas*"], 1),
    (["conversations.task_id"], 2),  # a constraint on the column goes with it
    (["kind:foreign_key", " "], 2),
])
def test_ignore_patterns(patterns: list[str], left: int) -> None:
    assert len([d for d in FOUND if not is_ignored(d, patterns)]) == left


def test_ignore_through_diff() -> None:
    left = from_sql_text("CREATE TABLE a (x INT, y INT); CREATE TABLE b (z INT)", "postgres")
    right = from_sql_text("CREATE TABLE a (x TEXT); CREATE INDEX i ON a (x)", "postgres")
    assert {(d.table, d.object_kind) for d in diff(left, right)} == {
        ("a", "type"), ("a", "column"), ("a", "index"), ("b", "table")}
    assert diff(left, right, ignore=["b", "a.x", "a.y"]) == []
    assert {d.object_kind for d in diff(left, right, ignore=["kind:index", "kind:table"])} == {
        "type", "column"}


def test_skipped_says_what_was_not_compared() -> None:
    sqlite = Schema(source="sqlite", exact_types=False, has_checks=False, has_enums=False,
                    notes=("not folded: x",))
    models = Schema(source="models")
    assert skipped(models, models) == []
    assert skipped(models, sqlite) == [
        "types compared by storage class only: sqlite keeps declared type text, not exact "
        "types (lengths compared where both state one)",
        "check constraints not compared: sqlite could not read them",
        "enum types not compared: sqlite has none (enum columns compared as text)",
    ]
    assert notes_for(models, sqlite)[-1] == "sqlite: not folded: x"


def test_checks_are_skipped_when_one_side_cannot_read_them() -> None:
    left = from_sql_text("CREATE TABLE t (a INT CHECK (a > 0))", "postgres")
    right = from_sql_text("CREATE TABLE t (a INT)", "postgres")
    assert [d.object_kind for d in diff(left, right)] == ["check"]
    blind = Schema(right.tables, source="sqlite", has_checks=False)
    assert diff(left, blind) == []


# --- dualwrite_models ---------------------------------------------------------------------

@pytest.fixture
def models_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    package = tmp_path / "app_under_test"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "models.py").write_text(
        "import sqlalchemy as sa\n"
        "from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column\n"
        "class Base(DeclarativeBase):\n    pass\n"
        "class Thing(Base):\n"
        "    __tablename__ = 'things'\n"
        "    id: Mapped[int] = mapped_column(primary_key=True)\n"
        "metadata = Base.metadata\nnot_models = 3\n")
    (package / "broken.py").write_text("import sqlalchemy\nraise RuntimeError('no\\ndatabase')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "app_under_test"
    for name in [m for m in sys.modules if m.startswith("app_under_test")]:
        del sys.modules[name]


@pytest.mark.parametrize("attr", ["Base", "metadata", "Base.metadata"])
def test_models_from_an_import_string(models_module: str, attr: str) -> None:
    schema = from_models(f"{models_module}.models:{attr}")
    assert schema.table_names == ("things",)
    assert schema.table("things").column("id").autoincrement


@pytest.mark.parametrize(("spec", "message"), [
    ("app_under_test.nope:Base",
     "dualwrite_models = 'app_under_test.nope:Base': cannot import 'app_under_test.nope': "
     "ModuleNotFoundError: No module named 'app_under_test.nope'"),
    ("app_under_test.broken:Base",
     "dualwrite_models = 'app_under_test.broken:Base': cannot import 'app_under_test.broken': "
     "RuntimeError: no database"),
    ("app_under_test.models:Missing",
     "dualwrite_models = 'app_under_test.models:Missing': module 'app_under_test.models' has "
     "no attribute 'Missing'"),
    ("app_under_test.models:not_models",
     "dualwrite_models = 'app_under_test.models:not_models': not_models is a int, not a "
     "SQLAlchemy MetaData or declarative base"),
    ("app_under_test.models",
     "dualwrite_models = 'app_under_test.models': expected 'package.module:Base' "
     "(a declarative base or a MetaData)"),
])
def test_model_import_errors_are_one_line(models_module: str, spec: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        from_models(spec)
    assert str(caught.value) == message
    assert "\n" not in str(caught.value)

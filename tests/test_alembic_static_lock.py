"""Alembic histories: the static fold of Alembic's offline SQL, the lock file beside
env.py, and the data-loss declaration written as a comment in a revision."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from pytest_dualwrite.__main__ import main
from pytest_dualwrite.errors import MigrationError
from pytest_dualwrite.migrations.readers.alembic import read_alembic
from pytest_dualwrite.migrations.runner import Runner
from pytest_dualwrite.migrations.static import static_sql
from pytest_dualwrite.schema.diff import diff
from pytest_dualwrite.schema.from_models import from_models
from pytest_dualwrite.schema.from_sql import from_sql
from pytest_dualwrite.schema.render import render

from .conftest import EXAMPLES, every_backend


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "project"
    shutil.copytree(EXAMPLES / "alembic_branch", root)
    monkeypatch.syspath_prepend(str(root))
    monkeypatch.delitem(sys.modules, "models", raising=False)
    return root


def folded(project: Path, dialect: str):  # type: ignore[no-untyped-def]
    history = read_alembic(project / "alembic.ini")
    sql = static_sql(history, Runner(history, dialect, dialect))
    return sql, from_sql(sql.statements, sql.dialect)


@pytest.mark.parametrize("dialect", ["postgres", "sqlite"])
def test_offline_sql_folds_to_the_models_schema(project: Path, dialect: str) -> None:
    sql, schema = folded(project, dialect)
    assert sql.label == "fold of Alembic's offline SQL" and sql.dialect == dialect
    assert {t.name for t in schema.tables} == {"accounts", "notes", "alembic_version"}
    assert schema.notes == ()
    models = from_models("models:Base", dialect=dialect)
    assert diff(models, schema, ignore=("alembic_version",)) == []
    # each statement names its revision file, not the offline script
    create_notes = next(s for s in sql.statements if "CREATE TABLE notes" in s.sql)
    assert create_notes.where.startswith(
        f"{project / 'alembic/versions/c3d2_notes.py'} (offline SQL):"
    )


def test_offline_fold_finds_drift(project: Path) -> None:
    models = project / "models.py"
    models.write_text(models.read_text().replace("sa.String(120)", "sa.String(200)"))
    _, schema = folded(project, "postgres")
    differences = diff(
        from_models("models:Base", dialect="postgres"), schema, ignore=("alembic_version",)
    )
    table = render(differences, expected="models", actual="migrations")
    assert len(differences) == 1 and "accounts" in table and "email" in table
    assert "varchar(200)" in table and "varchar(120)" in table


def test_a_revision_that_cannot_run_offline_is_one_line(project: Path) -> None:
    path = project / "alembic/versions/b2e1_email.py"
    text = path.read_text().replace(
        "def upgrade() -> None:\n",
        "def upgrade() -> None:\n    op.get_bind().execute(sa.text('SELECT 1')).scalar()\n",
    )
    path.write_text(text)
    line = text.splitlines().index("    op.get_bind().execute(sa.text('SELECT 1')).scalar()") + 1
    history = read_alembic(project / "alembic.ini")
    with pytest.raises(MigrationError) as info:
        static_sql(history, Runner(history, "postgres", "postgres"))
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{path}:{line}: offline SQL (alembic upgrade head --sql) failed: ")
    assert message.endswith("must skip it when context.is_offline_mode()")


def test_lock_is_written_beside_env_py_and_refuses_an_edit(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["lock", str(project / "alembic.ini")]) == 0
    lock = project / "alembic/migrations.lock"
    assert f"wrote {lock} (4 migrations)" in capsys.readouterr().out
    names = [line.split()[0] for line in lock.read_text().splitlines()]
    assert names == [
        "versions/a1f0_accounts.py",
        "versions/b2e1_email.py",
        "versions/c3d2_notes.py",
        "versions/d4c3_merge.py",
    ]
    read_alembic(project / "alembic.ini")  # unchanged: reads
    (project / "alembic/versions/e5f6_new.py").write_text(
        'revision = "e5f6"\ndown_revision = "d4c3f00d0004"\n\n\ndef upgrade():\n    pass\n\n\n'
        "def downgrade():\n    pass\n"
    )
    assert len(read_alembic(project / "alembic.ini")) == 5  # newer than the lock: fine
    edited = project / "alembic/versions/b2e1_email.py"
    edited.write_text(edited.read_text().replace("String(120)", "String(121)"))
    with pytest.raises(MigrationError) as info:
        read_alembic(project / "alembic.ini")
    assert str(info.value) == (
        f"{edited} was edited after it was locked (migrations.lock): databases that "
        f"applied it will not see the change; revert it or add a new migration; re-run "
        f"`python -m pytest_dualwrite lock {project / 'alembic'}` if the edit is intended"
    )
    assert main(["lock", str(project / "alembic")]) == 0  # the folder, as the line says
    assert len(read_alembic(project / "alembic.ini")) == 5


def test_a_locked_revision_that_vanished_is_one_line(project: Path) -> None:
    head = project / "alembic/versions/e5f6_new.py"
    head.write_text(
        'revision = "e5f6"\ndown_revision = "d4c3f00d0004"\n\n\n'
        "def upgrade():\n    pass\n\n\ndef downgrade():\n    pass\n"
    )
    assert main(["lock", str(project / "alembic.ini")]) == 0
    head.unlink()
    with pytest.raises(MigrationError) as info:
        read_alembic(project / "alembic.ini")
    assert str(info.value).startswith(
        f"{project / 'alembic/versions/e5f6_new.py'} is in migrations.lock but no longer in "
        f"the folder: restore it"
    )


DROP_EMAIL = '''"""accounts.email is retired (contract)"""
import sqlalchemy as sa
from alembic import op

revision = "e5f6aa550005"
down_revision = "d4c3f00d0004"
{declaration}

def upgrade() -> None:
    op.drop_index("ix_accounts_email", table_name="accounts")
    op.drop_column("accounts", "email")


def downgrade() -> None:
    op.add_column("accounts", sa.Column("email", sa.String(120), nullable=True))
    op.create_index("ix_accounts_email", "accounts", ["email"])
'''


def test_declaration_comment_is_read_from_a_revision(project: Path) -> None:
    path = project / "alembic/versions/e5f6_drop_email.py"
    path.write_text(DROP_EMAIL.format(declaration="# dualwrite: drops accounts.email\n"))
    assert read_alembic(project / "alembic.ini")[-1].declared_drops == {"accounts.email"}
    path.write_text(DROP_EMAIL.format(declaration="# dualwrite: drops\n"))
    with pytest.raises(MigrationError) as info:
        read_alembic(project / "alembic.ini")
    assert str(info.value) == (
        f"{path}:7: `# dualwrite: drops` names nothing; write `# dualwrite: drops table` or "
        f"`# dualwrite: drops table.column`"
    )


@pytest.mark.parametrize("declared", [False, True])
def test_each_step_honours_the_declaration(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, declared: bool
) -> None:
    shutil.copytree(EXAMPLES / "alembic_branch", pytester.path, dirs_exist_ok=True)
    monkeypatch.delitem(sys.modules, "models", raising=False)
    comment = "# dualwrite: drops accounts.email\n" if declared else ""
    (pytester.path / "alembic/versions/e5f6_drop_email.py").write_text(
        DROP_EMAIL.format(declaration=comment)
    )
    backends = every_backend(monkeypatch)
    result = pytester.runpytest_inprocess(
        "--dualwrite",
        f"--dualwrite-backend={','.join(backends)}",
        "--dualwrite-examples=10",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:randomly",
        "-k",
        "each_step_preserves_rows",
    )
    if declared:
        result.assert_outcomes(passed=len(backends))
    else:
        result.assert_outcomes(failed=len(backends))
        result.stdout.fnmatch_lines(
            [
                "*e5f6_drop_email.py drops column accounts.email holding data in * row(s)*",
                "*declare it in the revision: # dualwrite: drops accounts.email*",
            ]
        )


def test_a_revision_that_does_not_parse_names_its_line(project: Path) -> None:
    path = project / "alembic/versions/c3d2_notes.py"
    path.write_text(path.read_text() + "\n\ndef broken(:\n    pass\n")
    line = path.read_text().splitlines().index("def broken(:") + 1
    with pytest.raises(MigrationError) as info:
        read_alembic(project / "alembic.ini")
    assert str(info.value).startswith(f"{path}:{line}: cannot be read: SyntaxError: ")


LEGACY = """import sqlalchemy as sa

metadata = sa.MetaData()
sa.Table("legacy_users", metadata, sa.Column("id", sa.Integer, primary_key=True),
         sa.Column("name", sa.String(40), nullable=False))
"""


def test_base_schema_from_metadata_comes_before_the_first_revision(
    project: Path, any_engine: sa.Engine
) -> None:
    """dualwrite_alembic_base: the tables an empty base revision assumes, made by
    create_all inside the first step and dropped by its downgrade; the fold sees them."""
    (project / "legacy_schema.py").write_text(LEGACY)
    history = read_alembic(project / "alembic.ini", base="legacy_schema:metadata")
    runner = Runner(history, "postgres", any_engine.dialect.name)

    def tables() -> set[str]:
        with any_engine.connect() as conn:
            return set(sa.inspect(conn).get_table_names()) - set(runner.own_tables)

    runner.migrate_engine(any_engine, "a1f")
    assert tables() == {"legacy_users", "accounts"}
    runner.migrate_engine(any_engine, None)
    assert tables() == {"legacy_users", "accounts", "notes"}
    runner.migrate_to_index_engine(any_engine, 0)
    assert tables() == set()
    sql = static_sql(history, Runner(history, "postgres", "postgres"))
    folded = from_sql(sql.statements, sql.dialect)
    assert {t.name for t in folded.tables} >= {"legacy_users", "accounts", "notes"}
    first = sql.statements[0]
    assert first.where.startswith("dualwrite_alembic_base (create_all):")


def test_base_setting_errors_are_one_line(project: Path, pytester: pytest.Pytester) -> None:
    with pytest.raises(Exception) as info:
        read_alembic(project / "alembic.ini", base="no_such_module_here:Base")
    assert str(info.value).startswith(
        "dualwrite_alembic_base = 'no_such_module_here:Base': cannot import"
    )
    pytester.makepyprojecttoml(
        '[tool.pytest.ini_options]\ndualwrite_alembic_base = "legacy:Base"\n'
    )
    result = pytester.runpytest_inprocess("--dualwrite", "-p", "no:cacheprovider")
    result.stderr.fnmatch_lines(
        ["*dualwrite_alembic_base* is set without dualwrite_alembic: it names the schema*"]
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR

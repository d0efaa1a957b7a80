"""Alembic histories: the revisions of tests/examples/alembic_branch (a base, two branches,
a merge) as steps, applied through the project's own env.py on both backends, and the one
line each broken history gives."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from pytest_dualwrite.errors import MigrationError
from pytest_dualwrite.migrations.discovery import discover
from pytest_dualwrite.migrations.model import Migration, PythonStep
from pytest_dualwrite.migrations.readers.alembic import read_alembic
from pytest_dualwrite.migrations.runner import Runner

from .conftest import EXAMPLES, postgres_url

BASE, EMAIL, NOTES, MERGE = "a1f0c0ffee01", "b2e1beef0002", "c3d2cafe0003", "d4c3f00d0004"


def backends() -> list[str]:
    return ["sqlite", "postgres"] if postgres_url() else ["sqlite"]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the example, importable (its env.py imports `models`)."""
    root = tmp_path / "project"
    shutil.copytree(EXAMPLES / "alembic_branch", root)
    monkeypatch.syspath_prepend(str(root))
    monkeypatch.delitem(sys.modules, "models", raising=False)
    return root


def one_line(path: Path) -> str:
    with pytest.raises(MigrationError) as info:
        read_alembic(path)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_revisions_are_steps_in_dependency_order(project: Path) -> None:
    history = read_alembic(project / "alembic.ini")
    ids = [m.version_text for m in history]
    assert ids[0] == BASE and ids[-1] == MERGE and set(ids[1:3]) == {EMAIL, NOTES}
    assert all(m.convention == "alembic" and m.down is not None for m in history)
    assert [m.number for m in history] == ids  # what expand= and contract= are matched to
    folder = read_alembic(project / "alembic")  # the folder with env.py works the same
    assert [m.version_text for m in folder] == ids


def test_a_branch_and_its_merge_apply_through_alembic(project: Path,
                                                      any_engine: sa.Engine) -> None:
    runner = Runner(read_alembic(project / "alembic.ini"), "postgres", any_engine.dialect.name)

    def state() -> tuple[set[str], set[str]]:
        with any_engine.connect() as conn:
            tables = set(sa.inspect(conn).get_table_names()) - set(runner.own_tables)
            heads = {r[0] for r in conn.exec_driver_sql("SELECT version_num FROM "
                                                        "alembic_version")}
        return tables, heads

    runner.migrate_engine(any_engine, None)
    assert state() == ({"accounts", "notes"}, {MERGE})
    runner.migrate_engine(any_engine, runner.migrations[2].version_text)  # merge undone
    assert state()[1] == {EMAIL, NOTES}
    runner.migrate_engine(any_engine, "a1f")  # a unique prefix, as DualWrite takes it
    assert state() == ({"accounts"}, {BASE})
    with any_engine.connect() as conn:
        columns = {c["name"] for c in sa.inspect(conn).get_columns("accounts")}
    assert columns == {"id", "name"}
    runner.migrate_engine(any_engine, "d4c3")
    assert state() == ({"accounts", "notes"}, {MERGE})


def test_expand_and_contract_take_unique_prefixes(tmp_path: Path) -> None:
    step = PythonStep(tmp_path / "x.py", lambda conn: None, lambda conn: None)
    history = [Migration((i, 0), rev, "", "alembic", step, step, name=f"{rev}.py")
               for i, rev in enumerate(["abc123", "abd456", "ffe789"], 1)]
    runner = Runner(history, "postgres", "sqlite")
    assert runner.index("abd") == 2 and runner.index("ffe789") == 3 and runner.index("f") == 3
    assert runner.version_at(2) == "abd456"
    with pytest.raises(MigrationError, match="prefix 'ab' is ambiguous: abc123, abd456"):
        runner.index("ab")
    with pytest.raises(MigrationError, match="'zz' is not in the history"):
        runner.index("zz")


def test_two_heads_name_both(project: Path) -> None:
    (project / "alembic/versions/d4c3_merge.py").unlink()
    message = one_line(project / "alembic.ini")
    assert "several heads" in message
    assert f"{EMAIL} (b2e1_email.py)" in message and f"{NOTES} (c3d2_notes.py)" in message


def test_broken_down_revision_names_the_file(project: Path) -> None:
    path = project / "alembic/versions/c3d2_notes.py"
    path.write_text(path.read_text().replace(f'down_revision = "{BASE}"',
                                             'down_revision = "deadbeef"'))
    message = one_line(project / "alembic.ini")
    assert message.startswith(f"{path}: down_revision 'deadbeef' names no revision")


def test_revision_importing_a_missing_module_names_the_file(project: Path) -> None:
    path = project / "alembic/versions/c3d2_notes.py"
    path.write_text("import no_such_module_here\n" + path.read_text())
    message = one_line(project / "alembic.ini")
    assert message.startswith(f"{path}:1: ")
    assert "No module named 'no_such_module_here'" in message


def test_missing_alembic_ini(project: Path) -> None:
    message = one_line(project / "nowhere" / "alembic.ini")
    assert "alembic.ini: does not exist; point dualwrite_alembic" in message
    (project / "alembic/env.py").unlink()
    assert "holds no env.py" in one_line(project / "alembic")


def test_alembic_not_installed(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "alembic", None)
    assert "pip install 'pytest-dualwrite[alembic]'" in one_line(project / "alembic.ini")


def test_alembic_folder_as_migrations_folder_points_at_the_setting(project: Path) -> None:
    with pytest.raises(MigrationError, match=r"is an Alembic history .* set dualwrite_alembic"):
        discover(project / "alembic")


# --- as users run it -----------------------------------------------------------------
def run(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch,
        *args: str) -> pytest.RunResult:
    if not (pytester.path / "alembic.ini").exists():  # a test may have edited its copy
        shutil.copytree(EXAMPLES / "alembic_branch", pytester.path, dirs_exist_ok=True)
    monkeypatch.delitem(sys.modules, "models", raising=False)
    if postgres_url():
        monkeypatch.setenv("DUALWRITE_POSTGRES_URL", postgres_url() or "")
    return pytester.runpytest_inprocess(
        "--dualwrite", f"--dualwrite-backend={','.join(backends())}",
        "--dualwrite-examples=10", "-p", "no:cacheprovider", "-p", "no:randomly", *args)


def test_every_check_passes_on_a_branch_and_merge(pytester: pytest.Pytester,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    result = run(pytester, monkeypatch, "-v")
    checks = ["migrations_are_well_formed", "upgrade_from_empty", "each_step_preserves_rows",
              "downgrade_leaves_no_trace", "models_match_migrations"]
    for check in checks:
        for backend in backends():
            result.stdout.fnmatch_lines([f"*{check}[[]{backend}[]] PASSED*"])
    result.stdout.fnmatch_lines(["*models_match_migrations[[]static[]] PASSED*"])
    result.assert_outcomes(passed=len(checks) * len(backends()) + 1)


def test_models_drift_is_found(pytester: pytest.Pytester,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(EXAMPLES / "alembic_branch", pytester.path, dirs_exist_ok=True)
    models = pytester.path / "models.py"
    models.write_text(models.read_text().replace("sa.String(120)", "sa.String(200)"))
    result = run(pytester, monkeypatch, "-k", "models_match_migrations")
    result.assert_outcomes(passed=0, failed=len(backends()) + 1)  # [static] too
    result.stdout.fnmatch_lines(["*accounts*email*"])
    result.stdout.fnmatch_lines(["*models vs migrations (static (fold of Alembic's offline "
                                 "SQL))*"])


def test_env_py_that_raises_is_one_line(pytester: pytest.Pytester,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(EXAMPLES / "alembic_branch", pytester.path, dirs_exist_ok=True)
    env = pytester.path / "alembic/env.py"
    text = env.read_text().replace("config = context.config",
                                   "config = context.config\nraise RuntimeError('no settings')")
    env.write_text(text)
    line = text.splitlines().index("raise RuntimeError('no settings')") + 1
    result = run(pytester, monkeypatch, "-k", "upgrade_from_empty")
    result.assert_outcomes(failed=len(backends()))
    result.stdout.fnmatch_lines([f"*alembic/env.py:{line}: upgrade of {BASE} failed: "
                                 "RuntimeError: no settings"])


def test_both_settings_is_one_usage_line(pytester: pytest.Pytester,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    result = run(pytester, monkeypatch, "--dualwrite-migrations=migrations")
    result.stderr.fnmatch_lines(["*dualwrite_alembic and --dualwrite-migrations are both "
                                 "set*keep one"])
    assert result.ret == pytest.ExitCode.USAGE_ERROR


MEMBERS = '''"""members: accounts under a new name, filled by a backfill"""
import sqlalchemy as sa
from alembic import op

revision = "e5f6aa550005"
down_revision = "d4c3f00d0004"


def upgrade() -> None:
    op.create_table(
        "members",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("full_name", sa.String(80), nullable=False),
        sa.Column("email", sa.String(120), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("members")
'''

SPEC = '''import sqlalchemy as sa

from pytest_dualwrite import DualWrite

COPY = ("INSERT INTO members (id, full_name, email) SELECT id, name, {email} FROM accounts "
        "WHERE id NOT IN (SELECT id FROM members)")


def write(conn, row):
    conn.execute(sa.text("INSERT INTO accounts (id, name, email) VALUES (:id, :name, :email)"),
                 row)
    conn.execute(sa.text("INSERT INTO members (id, full_name, email) "
                         "VALUES (:id, :name, :email)"), row)


def backfill(conn):
    conn.execute(sa.text(COPY.format(email={email!r})))
    yield


accounts_to_members = DualWrite(old="accounts", new="members", key="id",
                                columns={{"name": "full_name", "email": "email"}},
                                expand="e5f6", write=write, backfill=backfill)
'''


@pytest.mark.parametrize(("email", "passes"), [("email", True), ("NULL", False)])
def test_dualwrite_spec_names_revisions_by_prefix(pytester: pytest.Pytester,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  email: str, passes: bool) -> None:
    shutil.copytree(EXAMPLES / "alembic_branch", pytester.path, dirs_exist_ok=True)
    (pytester.path / "alembic/versions/e5f6_members.py").write_text(MEMBERS)
    models = pytester.path / "models.py"
    models.write_text(models.read_text() + (
        "\n\nclass Member(Base):\n    __tablename__ = 'members'\n"
        "    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, "
        "autoincrement=False)\n"
        "    full_name: Mapped[str] = mapped_column(sa.String(80), nullable=False)\n"
        "    email: Mapped[str | None] = mapped_column(sa.String(120))\n"))
    (pytester.path / "test_members.py").write_text(SPEC.format(email=email))
    result = run(pytester, monkeypatch, "-k", "accounts_to_members")
    outcomes = result.parseoutcomes()
    if passes:  # expand="e5f6" found the revision: the spec's checks ran and held
        assert outcomes.get("passed", 0) >= 4 and "failed" not in outcomes, result.stdout.str()
    else:  # a backfill that loses every email is caught on each backend; only the
        # static mapping check (no data, no backfill) may pass
        assert outcomes.get("failed", 0) >= 4, result.stdout.str()
        assert outcomes.get("passed", 0) <= len(backends()), result.stdout.str()
        result.stdout.fnmatch_lines(["*email*"])

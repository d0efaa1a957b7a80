"""Bad input in a user's project, as users meet it: `pytest --dualwrite` in a subprocess.

Every case ends in one line naming the file (and line), the setting or the spec to fix,
with a failing exit status, no traceback from the plugin's code and no password: every
URL here carries the password `s3cret-pw`, which must appear nowhere in the output.

Where the run cannot mean anything (a setting that cannot be used, a spec that cannot be
run) pytest stops with a usage or collection error; where the problem belongs to some
items (a migrations folder, a backend, a spec against its schema) those items fail, each
with the same one line, and the others run.

Not here: no Docker and no URL (the skip line that lists what was tried) is
`test_plugin_switch.py::test_no_postgres_anywhere_skips_with_one_line`.
"""

from __future__ import annotations

import re
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from pytest_dualwrite.migrations.discovery import discover, write_lock

from .conftest import copy_example, postgres_url

PASSWORD = "s3cret-pw"
SPEC_ITEMS = ["mapping_is_lossless", "backfill_preserves_every_record", "backfill_is_idempotent",
              "backfill_resumes",
              "dual_write_keeps_both_equal", "read_path_matches", "contract_keeps_every_record"]
# The migration checks a folder yields when it cannot be read (downgrade included).
FOLDER_ITEMS = ["migrations_are_well_formed", "upgrade_from_empty", "each_step_preserves_rows",
                "downgrade_leaves_no_trace"]

# A plugin the inner run loads with `-p`: psycopg is "not installed".
BLOCK_PSYCOPG = '''
import sys


class _NoPsycopg:
    def find_spec(self, name, path=None, target=None):
        if name == "psycopg" or name.startswith("psycopg."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, _NoPsycopg())
'''


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """The products example (three migrations, one spec), with no dualwrite env set."""
    copy_example(pytester, "products")
    for name in ("DW_BUG", "DUALWRITE_POSTGRES_URL", "DUALWRITE_BACKENDS", "DUALWRITE_DIALECT",
                 "DUALWRITE_MIGRATIONS", "DUALWRITE_MODELS"):
        monkeypatch.delenv(name, raising=False)
    return pytester


def run(project: pytest.Pytester, *args: str, backend: str = "sqlite") -> pytest.RunResult:
    return project.runpytest_subprocess(
        "--dualwrite", f"--dualwrite-backend={backend}", "--dualwrite-examples=3",
        "-p", "no:cacheprovider", "-p", "no:randomly", *args)


def assert_clean(result: pytest.RunResult) -> None:
    """No traceback, no frame of ours, no password, anywhere in the output."""
    out = "\n".join(result.outlines + result.errlines)
    assert "Traceback" not in out, out
    assert "pytest_dualwrite/" not in out, out
    assert "INTERNALERROR" not in out, out
    assert PASSWORD not in out, out


def sections(result: pytest.RunResult) -> dict[str, list[str]]:
    """Each failure or error section's title and body lines (up to the next rule)."""
    found: dict[str, list[str]] = {}
    body: list[str] | None = None
    for line in result.outlines:
        title = re.fullmatch(r"_{3,} (.+?) _{3,}", line)
        if title:
            body = found.setdefault(title[1], [])
        elif line.startswith(("====", "____")):
            body = None
        elif body is not None and line.strip():
            body.append(line)
    return found


def assert_each_fails_with(result: pytest.RunResult, pattern: str, items: list[str]) -> None:
    """Exactly `items` fail (no other outcome), each showing one line: `pattern`."""
    assert result.ret == pytest.ExitCode.TESTS_FAILED, result.stdout.str()
    outcomes = result.parseoutcomes()
    outcomes.pop("deselected", None)
    assert outcomes == {"failed": len(items)}, result.stdout.str()
    failures = sections(result)
    assert sorted(failures) == sorted(items), result.stdout.str()
    for title, body in failures.items():
        assert len(body) == 1 and re.fullmatch(pattern, body[0]), (title, body)
    assert_clean(result)


def assert_usage_error(result: pytest.RunResult, pattern: str) -> None:
    """pytest stops before collecting, with `pattern` as a line of stderr."""
    assert result.ret == pytest.ExitCode.USAGE_ERROR, result.stderr.str()
    assert any(re.fullmatch(pattern, line) for line in result.errlines), result.stderr.str()
    assert_clean(result)


def assert_collection_error(result: pytest.RunResult, nodeid: str, pattern: str) -> None:
    """Collection stops at the spec's node, which shows one line: `pattern`."""
    assert result.ret == pytest.ExitCode.INTERRUPTED, result.stdout.str()
    errors = sections(result)
    assert len(errors) == 1, result.stdout.str()
    (body,) = errors.values()
    assert len(body) == 1 and re.fullmatch(pattern, body[0]), body
    assert f"ERROR {nodeid}" in result.outlines, result.stdout.str()
    assert_clean(result)


def spec_items(backend: str = "sqlite") -> list[str]:
    return [f"products_to_catalog_items::{item}[{backend}]" for item in SPEC_ITEMS]


def folder_items(backend: str = "sqlite") -> list[str]:
    return [f"migrations::{item}[{backend}]" for item in FOLDER_ITEMS]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new))


def add_ini(project: pytest.Pytester, line: str) -> None:
    """A line under [tool.pytest.ini_options], the last table of the example's file."""
    pyproject = project.path / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + line + "\n")


def spec_line(project: pytest.Pytester, module: str = "test_catalog_migration.py") -> str:
    """`path:line` of the example's `products_to_catalog_items = DualWrite(` statement."""
    path = project.path / module
    lines = path.read_text().splitlines()
    number = lines.index("products_to_catalog_items = DualWrite(") + 1
    return re.escape(f"{path}:{number}")


# Read once: the `project` fixture clears the variable for the inner runs.
SERVER_URL = postgres_url()


def need_postgres() -> sa.URL:
    url = SERVER_URL
    if not url:
        pytest.skip("postgres: DUALWRITE_POSTGRES_URL is not set")
    return sa.make_url(url).set(drivername="postgresql+psycopg")


def with_password(url: sa.URL, **parts: str) -> str:
    """The server's URL with `parts` replaced and our password, as a user would write it."""
    return url.set(drivername="postgresql", password=PASSWORD, **parts).render_as_string(
        hide_password=False)


# --- the migrations folder ---------------------------------------------------------------------


def _missing(folder: Path) -> str:
    shutil.rmtree(folder)
    return (rf"migrations folder {re.escape(str(folder))} does not exist; check the "
            r"dualwrite_migrations setting")


def _empty(folder: Path) -> str:
    for path in folder.iterdir():
        path.unlink()
    return (rf"{re.escape(str(folder))}: no migrations found \(expected files like "
            r"NNN_description\.sql, .*\); check the dualwrite_migrations setting")


def _gap(folder: Path) -> str:
    (folder / "003_drop_products.sql").rename(folder / "004_drop_products.sql")
    return (rf"{re.escape(str(folder / '004_drop_products.sql'))}: gap in migration "
            r"numbering: 003 is missing before 004_drop_products\.sql; add it, renumber, or "
            r"set `dualwrite_allow_gaps = true` in the pytest ini if the gap is intended")


def _duplicate(folder: Path) -> str:
    (folder / "002_create_catalog_items_again.sql").write_text("SELECT 1;\n")
    first, second = (re.escape(str(folder / name)) for name in (
        "002_create_catalog_items.sql", "002_create_catalog_items_again.sql"))
    return rf"duplicate migration version 002: {first} and {second}; renumber one of them"


def _mixed(folder: Path) -> str:
    (folder / "003_drop_products.sql").rename(folder / "V3__drop_products.sql")
    first, flyway = (re.escape(str(folder / name)) for name in (
        "001_create_products.sql", "V3__drop_products.sql"))
    return (rf"{re.escape(str(folder))}: mixes migration conventions: {first} is numbered "
            rf"\(NNN_description\.sql\) but {flyway} is Flyway \(V1__description\.sql\); keep "
            r"one convention per folder")


def _no_upgrade(folder: Path) -> str:
    (folder / "004_fill_prices.py").write_text("def up(conn):\n    pass\n")
    return (rf"{re.escape(str(folder / '004_fill_prices.py'))}: defines no callable "
            r"upgrade\(conn\); add `def upgrade\(conn\): \.\.\.`")


def _lock_mismatch(folder: Path) -> str:
    write_lock(folder, discover(folder))
    edited = folder / "002_create_catalog_items.sql"
    edited.write_text(edited.read_text() + "-- an edit after the lock\n")
    return (rf"{re.escape(str(edited))} was edited after it was locked \(migrations\.lock\): "
            r"databases that applied it will not see the change; revert it or add a new "
            rf"migration; re-run `python -m pytest_dualwrite lock {re.escape(str(folder))}` if "
            r"the edit is intended")


FOLDER_PROBLEMS = {"missing": _missing, "empty": _empty, "gap": _gap, "duplicate": _duplicate,
                   "mixed_conventions": _mixed, "python_without_upgrade": _no_upgrade,
                   "lock_mismatch": _lock_mismatch}


@pytest.mark.parametrize("problem", list(FOLDER_PROBLEMS))
def test_a_folder_that_cannot_be_read_fails_every_item_with_one_line(
        project: pytest.Pytester, problem: str) -> None:
    """The migration checks and the spec's items all fail, each with the reason."""
    pattern = FOLDER_PROBLEMS[problem](project.path / "migrations")
    result = run(project)
    assert_each_fails_with(result, pattern, folder_items() + spec_items())


def test_unparseable_sql_names_file_and_line(project: pytest.Pytester) -> None:
    path = project.path / "migrations" / "002_create_catalog_items.sql"
    lines = path.read_text().splitlines()
    path.write_text("\n".join([*lines, "", "CREAT INDEX ix_body ON catalog_items (body);", ""]))
    result = run(project, "-k", "migrations_are_well_formed")
    assert_each_fails_with(
        result, rf"{re.escape(str(path))}:{len(lines) + 2}: cannot parse statement: CREAT INDEX "
        r"ix_body ON catalog_items \(body\) \(.+\)",
        ["migrations::migrations_are_well_formed[sqlite]"])


def test_sql_the_server_refuses_names_file_line_and_the_servers_message(
        project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    url = need_postgres()
    monkeypatch.setenv("DUALWRITE_POSTGRES_URL", url.render_as_string(hide_password=False))
    path = project.path / "migrations" / "004_create_orders.sql"
    path.write_text("-- customers was never created\n"
                    "CREATE TABLE orders (\n"
                    "    customer_id INTEGER REFERENCES customers (id));\n")
    result = run(project, "-k", "upgrade_from_empty or each_step_preserves_rows",
                 backend="postgres")
    assert_each_fails_with(
        result, rf"{re.escape(str(path))}:2: postgres refused the statement 'CREATE TABLE "
        r"orders \( customer_id INTEGER REFERENCES customers \(id\)\)': "
        r'relation "customers" does not exist', ["migrations::upgrade_from_empty[postgres]",
                                                 "migrations::each_step_preserves_rows[postgres]"])


# --- dualwrite_models --------------------------------------------------------------------------


@pytest.mark.parametrize("problem", ["does_not_import", "not_a_metadata"])
def test_models_setting_that_cannot_be_used_names_the_setting(
        project: pytest.Pytester, problem: str) -> None:
    if problem == "does_not_import":
        (project.path / "appmodels.py").write_text("import a_package_nobody_installed\n")
        add_ini(project, 'dualwrite_models = "appmodels:Base"')
        pattern = (r"dualwrite_models = 'appmodels:Base': cannot import 'appmodels': "
                   r"ModuleNotFoundError: No module named 'a_package_nobody_installed'")
    else:
        (project.path / "appmodels.py").write_text("Base = {'tables': []}\n")
        add_ini(project, 'dualwrite_models = "appmodels:Base"')
        pattern = (r"dualwrite_models = 'appmodels:Base': Base is a dict, not a SQLAlchemy "
                   r"MetaData or declarative base")
    result = run(project, "-k", "models_match_migrations")
    assert_each_fails_with(result, pattern, ["migrations::models_match_migrations[sqlite]",
                                             "migrations::models_match_migrations[static]"])


# --- the spec ----------------------------------------------------------------------------------

# Spec mistakes only the schema shows: the spec's items fail on the backend, each with the
# line; the migration checks (the history is fine) pass.
SCHEMA_MISTAKES = {
    "unknown_table": (
        ('new="catalog_items"', 'new="catalog_itemz"'),
        r"new='catalog_itemz' is not a table at migration 2 \(tables: catalog_items, "
        r"products\)"),
    "unknown_column": (
        ('"description": "body"', '"description": "bodyy"'),
        r"new column 'bodyy' is not in table 'catalog_items' \(columns: item_sku, title, "
        r"body, price_cents, changed_at\)"),
    "non_unique_key": (
        ('key={"sku": "item_sku"},\n    columns={"name": "title", ',
         'key={"name": "title"},\n    columns={"sku": "item_sku", '),
        r"key \['name'\] of old table 'products' is not unique \(no primary key, unique "
        r"constraint or unique index on it\)"),
    "expand_beyond_last": (
        ("expand=2,\n    contract=3,", "expand=4,"),
        r"expand=4 is beyond the last migration, 3 \(003_drop_products\.sql\)"),
}


@pytest.mark.parametrize("mistake", list(SCHEMA_MISTAKES))
def test_spec_that_does_not_fit_the_schema_fails_its_items_with_one_line(
        project: pytest.Pytester, mistake: str) -> None:
    (old, new), message = SCHEMA_MISTAKES[mistake]
    edit(project.path / "test_catalog_migration.py", old, new)
    result = run(project, "-k", "products_to_catalog_items")
    items = spec_items()
    if mistake == "expand_beyond_last":  # no contract: no contract item
        items.remove("products_to_catalog_items::contract_keeps_every_record[sqlite]")
    assert_each_fails_with(
        result, rf"{spec_line(project)}: products_to_catalog_items: {message}", items)


# Spec mistakes the spec shows alone: its node fails collection, naming file, line and spec.
SHAPE_MISTAKES = {
    "callable_arity": (
        ("delete=catalog.delete,", "delete=lambda conn: None,"),
        r"delete=(test_catalog_migration|conftest)\.<lambda> must accept \(conn, key\): its "
        r"signature is \(conn\)"),
    "contract_before_expand": (
        ("expand=2,\n    contract=3,", "expand=3,\n    contract=2,"),
        r"contract=2 must come after expand=3"),
}


@pytest.mark.parametrize("mistake", list(SHAPE_MISTAKES))
@pytest.mark.parametrize("module", ["test_catalog_migration.py", "conftest.py"])
def test_spec_that_cannot_run_fails_its_collection_with_one_line(
        project: pytest.Pytester, mistake: str, module: str) -> None:
    (old, new), message = SHAPE_MISTAKES[mistake]
    if module == "conftest.py":  # specs in a conftest are collected too
        (project.path / "test_catalog_migration.py").rename(project.path / module)
    edit(project.path / module, old, new)
    result = run(project)
    assert_collection_error(
        result, f"{module}::products_to_catalog_items",
        rf"{spec_line(project, module)}: products_to_catalog_items: {message}")


# --- settings ----------------------------------------------------------------------------------


@pytest.mark.parametrize("place", ["cli", "env", "ini"])
@pytest.mark.parametrize("setting", ["backend", "dialect"])
def test_unknown_backend_or_dialect_is_a_usage_error_naming_where(
        project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, place: str,
        setting: str) -> None:
    value, known = ("oracle", r"\(choose from sqlite, postgres, all\)") if setting == "backend" \
        else ("db2", r"\(known: mysql, postgres, sqlite\)")
    cli, env, ini = {"backend": ("--dualwrite-backend", "DUALWRITE_BACKENDS", "dualwrite_backends"),
                     "dialect": ("--dualwrite-dialect", "DUALWRITE_DIALECT", "dualwrite_dialect")
                     }[setting]
    args: list[str] = []
    if place == "cli":
        args = [f"{cli}={value}"]
        where = rf"python -m pytest: error: argument {cli}: "
    elif place == "env":
        monkeypatch.setenv(env, value)
        where = rf"ERROR: pytest-dualwrite: {env}: "
    else:
        pyproject = project.path / "pyproject.toml"
        kept = [ln for ln in pyproject.read_text().splitlines() if not ln.startswith(ini)]
        pyproject.write_text("\n".join([*kept, f'{ini} = "{value}"', ""]))
        where = rf"ERROR: pytest-dualwrite: {ini}: "
    if setting == "backend" and place != "cli":
        # --dualwrite-backend on the command line would win over env and ini
        result = project.runpytest_subprocess("--dualwrite", "-p", "no:cacheprovider")
    else:
        result = run(project, *args)
    assert_usage_error(result, rf"{where}unknown {setting} '{value}' {known}")


@pytest.mark.parametrize("url, problem", [
    (f"postgresql://dw:{PASSWORD}@127.0.0.1:notaport/app",
     r"'postgresql://dw:\*\*\*@127\.0\.0\.1:notaport/app' is not a database URL"),
    (f"dw:{PASSWORD}@127.0.0.1/app", r"'\*\*\*@127\.0\.0\.1/app' is not a database URL"),
    (f"mysql://dw:{PASSWORD}@127.0.0.1/app",
     r"'mysql://dw:\*\*\*@127\.0\.0\.1/app' is not a Postgres URL \(scheme 'mysql'; expected "
     r"postgresql://\.\.\.\)"),
], ids=["bad_port", "no_scheme", "not_postgres"])
@pytest.mark.parametrize("place", ["cli", "env"])
def test_malformed_url_is_a_usage_error_naming_the_setting(
        project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, url: str, problem: str,
        place: str) -> None:
    if place == "cli":
        result = run(project, f"--dualwrite-postgres-url={url}", backend="sqlite,postgres")
        where = "--dualwrite-postgres-url"
    else:
        monkeypatch.setenv("DUALWRITE_POSTGRES_URL", url)
        result = run(project, backend="sqlite,postgres")
        where = "DUALWRITE_POSTGRES_URL"
    assert_usage_error(result, rf"ERROR: pytest-dualwrite: {where}: {problem}.*")


# --- the server --------------------------------------------------------------------------------


def postgres_items() -> list[str]:
    return [f"migrations::{item}[postgres]" for item in FOLDER_ITEMS if "downgrade" not in item
            ] + spec_items("postgres")


def test_unreachable_server_fails_the_postgres_items_with_one_line(
        project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUALWRITE_POSTGRES_URL", f"postgresql://dw:{PASSWORD}@127.0.0.1:1/app")
    result = run(project, backend="postgres")
    assert_each_fails_with(
        result, r"postgres: cannot connect to postgresql\+psycopg://dw:\*\*\*@127\.0\.0\.1:1/app "
        r"\(url from env\): .*Connection refused", postgres_items())


@pytest.fixture
def role_with_password() -> Iterator[tuple[sa.URL, str]]:
    """A role whose password is not ours, dropped afterwards."""
    url = need_postgres()
    role = f"dw_bad_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE ROLE {role} LOGIN PASSWORD 'another-pw'")
        yield url, role
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP ROLE IF EXISTS {role}")
        admin.dispose()


def _server_trusts(url: str) -> bool:
    """Whether the server lets this URL in without checking its password (pg_hba `trust`)."""
    probe = sa.create_engine(sa.make_url(url).set(drivername="postgresql+psycopg"))
    try:
        with probe.connect():
            return True
    except sa.exc.OperationalError:
        return False
    finally:
        probe.dispose()


def test_wrong_password_fails_with_the_servers_refusal_and_is_never_shown(
        project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch,
        role_with_password: tuple[sa.URL, str]) -> None:
    """Where the server trusts loopback (a CI cluster), no password can fail: the run then
    connects, and the password still shows nowhere (header, report, summary)."""
    url, role = role_with_password
    ours = with_password(url, username=role)
    monkeypatch.setenv("DUALWRITE_POSTGRES_URL", ours)
    result = run(project, "-k", "migrations_are_well_formed", backend="postgres")
    if _server_trusts(ours):
        result.assert_outcomes(passed=1, deselected=len(postgres_items()) - 1)
        result.stdout.re_match_lines([rf"  postgres: url from env: postgresql\+psycopg://"
                                      rf"{role}:\*\*\*@.*"])
        assert_clean(result)
        return
    assert_each_fails_with(
        result, rf"postgres: cannot connect to postgresql\+psycopg://{role}:\*\*\*@.* \(url from "
        rf'env\): .*password authentication failed for user "{role}"',
        ["migrations::migrations_are_well_formed[postgres]"])


@pytest.mark.parametrize("missing", ["role", "database"])
def test_server_refusing_role_or_database_fails_the_postgres_items_with_its_message(
        project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, missing: str) -> None:
    url = need_postgres()
    name = f"dw_no_such_{missing}_{uuid.uuid4().hex[:8]}"
    if missing == "role":
        ours = with_password(url, username=name)
        # with password auth on, the server does not say whether the role exists
        refusal = rf'(role "{name}" does not exist|password authentication failed for user ' \
                  rf'"{name}")'
    else:
        ours = with_password(url, database=name)
        refusal = rf'database "{name}" does not exist'
    monkeypatch.setenv("DUALWRITE_POSTGRES_URL", ours)
    result = run(project, backend="postgres")
    assert_each_fails_with(
        result, r"postgres: cannot connect to postgresql\+psycopg://.*:\*\*\*@.* \(url from env\):"
        rf" .*{refusal}", postgres_items())


@pytest.mark.parametrize("how", ["psycopg_not_importable", "unknown_driver"])
def test_missing_driver_fails_the_postgres_items_saying_what_to_install(
        project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    args: list[str] = []
    if how == "psycopg_not_importable":
        (project.path / "no_psycopg.py").write_text(BLOCK_PSYCOPG)
        args = ["-p", "no_psycopg"]
        url, driver = f"postgresql://dw:{PASSWORD}@127.0.0.1:5432/app", "psycopg"
        reason = r"No module named 'psycopg'"
    else:
        url = f"postgresql+nonexistentdriver://dw:{PASSWORD}@127.0.0.1:5432/app"
        driver = "nonexistentdriver"
        reason = r"Can't load plugin: sqlalchemy\.dialects:postgresql\.nonexistentdriver"
    monkeypatch.setenv("DUALWRITE_POSTGRES_URL", url)
    result = run(project, *args, backend="postgres")
    assert_each_fails_with(
        result, rf"postgres: the driver for postgresql\+{driver} is not installed \({reason}\); "
        r"pip install 'pytest-dualwrite\[postgres\]'", postgres_items())

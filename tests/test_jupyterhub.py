"""JupyterHub's real Alembic history (jupyterhub/alembic + jupyterhub/orm.py), built into a
project at test time from a checkout that is never committed here. Opt-in: set
DUALWRITE_JUPYTERHUB to a folder prepared like this (GIT: a clone of jupyterhub/jupyterhub):

    git -C GIT archive HEAD jupyterhub requirements.txt | tar -x -C $DUALWRITE_JUPYTERHUB
    mkdir $DUALWRITE_JUPYTERHUB/base-0.5.0
    git -C GIT archive 0.5.0 jupyterhub/orm.py jupyterhub/utils.py \
        | tar -x -C $DUALWRITE_JUPYTERHUB/base-0.5.0
    pip install -r $DUALWRITE_JUPYTERHUB/requirements.txt

The project is what a JupyterHub developer would write to adopt the plugin: their
alembic.ini template filled in, the one documented env.py change (use a handed-over
Connection instead of calling `.connect()` on it), models = `jupyterhub.orm:Base`. The
revisions are not touched. Two ways to start the history:

- as it is: the base revision `19c0846f6344` is `pass` (JupyterHub makes fresh databases
  with `create_all` and stamps head), so the first revision that alters `users` fails;
- from 0.5.0's schema (`dualwrite_alembic_base`, the base revision's own name: "base
  revision for 0.5"): the checks then run into the history itself.

The assertions pin what the plugin finds (measured at jupyterhub commit 2841153d): a
change in their history or in the plugin shows here as a failure to look at.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import every_backend

ENV = "DUALWRITE_JUPYTERHUB"
VERSIONS = "jupyterhub/alembic/versions"
ENV_PY_CALL = "    with connectable.connect() as connection:\n"
ENV_PY_FIX = (
    "    # pytest-dualwrite hands over a Connection (docs/alembic.md): use it as it is\n"
    "    handed = isinstance(connectable, sqlalchemy.engine.Connection)\n"
    "    with (contextlib.nullcontext(connectable) if handed else connectable.connect()) "
    "as connection:\n"
)
OFFLINE = (
    f"{VERSIONS}/1cebaf56856c_session_id.py:27: offline SQL (alembic upgrade head "
    "--sql) failed: NoInspectionAvailable: No inspection system is available for "
    "object of type <class 'sqlalchemy.engine.mock.MockConnection'>; a revision that reads "
    "data must skip it when context.is_offline_mode()"
)
NO_USERS = {
    "sqlite": "OperationalError: no such table: users",
    "postgres": 'UndefinedTable: relation "users" does not exist',
}
# (item, backend) -> the first line of its failure, as found
AS_IS = {
    **{
        (item, b): f"{VERSIONS}/eeb276e51423_auth_state.py:23: upgrade of eeb276e51423 "
        f"failed: {NO_USERS[b]}"
        for item in (
            "upgrade_from_empty",
            "each_step_preserves_rows",
            "downgrade_leaves_no_trace",
            "models_match_migrations",
        )
        for b in NO_USERS
    },
    ("models_match_migrations", "static"): OFFLINE,
}
FROM_05 = {
    **{
        (item, b): f"{VERSIONS}/99a28a4418e1_user_created.py:23: upgrade of 99a28a4418e1 "
        "failed: AttributeError: 'datetime.datetime' object has no attribute "
        "'_replace'"
        for item in ("upgrade_from_empty", "models_match_migrations")
        for b in NO_USERS
    },
    **{
        ("each_step_preserves_rows", b): "3ec6993fe20c_encrypted_auth_state.py drops table "
        "* holding * row(s)"  # hubs or proxies: 0.8 drops both
        for b in NO_USERS
    },
    **{
        ("downgrade_leaves_no_trace", b): f"{VERSIONS}/3ec6993fe20c_encrypted_auth_state.py:"
        "61: downgrade of 3ec6993fe20c failed: "
        "AttributeError: 'Engine' object has no attribute "
        "'has_table'"
        for b in NO_USERS
    },
    ("models_match_migrations", "static"): OFFLINE,
}


def checkout() -> Path:
    value = os.environ.get(ENV)
    if not value:
        pytest.skip(
            f"{ENV} is not set: JupyterHub's history is an opt-in fixture "
            "(see this module's docstring to prepare one)"
        )
    root = Path(value)
    if not (root / "jupyterhub/alembic/env.py").is_file():
        pytest.fail(f"{ENV}={root}: holds no jupyterhub/alembic/env.py")
    return root


def build(root: Path, project: Path, base: bool) -> None:
    shutil.copytree(
        root / "jupyterhub",
        project / "jupyterhub",
        ignore=shutil.ignore_patterns("tests", "__pycache__"),
    )
    ini = (root / "jupyterhub/alembic.ini").read_text()
    (project / "alembic.ini").write_text(
        ini.replace("{alembic_dir}", str(project / "jupyterhub/alembic")).replace(
            "{db_url}", "sqlite://"
        )
    )
    env = project / "jupyterhub/alembic/env.py"
    text = env.read_text()
    assert text.count(ENV_PY_CALL) == 1, "JupyterHub's env.py changed: update ENV_PY_FIX"
    text = text.replace(ENV_PY_CALL, ENV_PY_FIX)
    env.write_text(
        text.replace(
            "import logging\n", "import contextlib\nimport logging\n\nimport sqlalchemy\n", 1
        )
    )
    settings = [
        'dualwrite_alembic = "alembic.ini"',
        'dualwrite_models = "jupyterhub.orm:Base"',
        'pythonpath = ["."]',
    ]
    if base:
        old = root / "base-0.5.0/jupyterhub"
        if not (old / "orm.py").is_file():
            pytest.skip(f"{ENV}: no base-0.5.0/jupyterhub/orm.py (see the docstring)")
        (project / "jupyterhub05").mkdir()
        for name in ("orm.py", "utils.py"):
            shutil.copy(old / name, project / "jupyterhub05" / name)
        (project / "jupyterhub05/__init__.py").write_text("")
        settings.append('dualwrite_alembic_base = "jupyterhub05.orm:Base"')
    (project / "pyproject.toml").write_text(
        "[tool.pytest.ini_options]\n" + "".join(f"{s}\n" for s in settings)
    )


@pytest.mark.parametrize(
    ("base", "found"), [(False, AS_IS), (True, FROM_05)], ids=["as-is", "from-0.5.0-schema"]
)
def test_jupyterhub_history(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, base: bool, found: dict[tuple[str, str], str]
) -> None:
    root = checkout()
    project = tmp_path / "hub"
    project.mkdir()
    build(root, project, base)
    backends = every_backend(monkeypatch)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--dualwrite",
            f"--dualwrite-backend={','.join(backends)}",
            "--dualwrite-examples=5",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:randomly",
            "-rA",
            "-p",
            "no:logging",
        ],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, "PYTEST_ADDOPTS": ""},
    )
    out = done.stdout.replace(f"{project}/", "")
    outcome = {
        m[1]: m[0]
        for m in re.findall(r"^(PASSED|FAILED) alembic\.ini::(\S+?)(?: - .*)?$", out, re.M)
    }
    for backend in backends:
        assert outcome[f"migrations_are_well_formed[{backend}]"] == "PASSED", out[-3000:]
    for (item, backend), line in found.items():
        if backend not in (*backends, "static"):
            continue
        assert outcome[f"{item}[{backend}]"] == "FAILED", out[-3000:]
        section = out.split(f" alembic.ini::{item}[{backend}] _", 1)[1]
        first = section.splitlines()[1]
        pattern = re.escape(line).replace(r"\*", ".*")
        assert re.fullmatch(pattern, first), (first, line)

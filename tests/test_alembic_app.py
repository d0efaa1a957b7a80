"""examples/alembic_app, run as its users run it (`pytest --dualwrite` in its folder, in a
fresh interpreter): every migration check and every item of its DualWrite spec passes on
each backend this run has, with revisions named by prefix and the contract's declared drop.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import every_backend

APP = Path(__file__).parents[1] / "examples" / "alembic_app"
SPEC_ITEMS = [
    "mapping_is_lossless",
    "backfill_preserves_every_record",
    "backfill_is_idempotent",
    "backfill_resumes",
    "dual_write_keeps_both_equal",
    "read_path_matches",
    "contract_keeps_every_record",
]
MIGRATION_ITEMS = [
    "migrations_are_well_formed",
    "upgrade_from_empty",
    "each_step_preserves_rows",
    "downgrade_leaves_no_trace",
    "models_match_migrations",
]


def test_the_alembic_example_app_is_green(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    backends = every_backend(monkeypatch)
    app = tmp_path / "alembic_app"  # a copy: the run leaves nothing in the repository
    shutil.copytree(APP, app, ignore=shutil.ignore_patterns("__pycache__", "*.db"))
    started = time.monotonic()
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
            "-q",
        ],
        cwd=app,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTEST_ADDOPTS": ""},
    )
    elapsed = time.monotonic() - started
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    passed = {line.split()[1] for line in done.stdout.splitlines() if line.startswith("PASSED ")}
    for backend in backends:
        for item in SPEC_ITEMS:
            assert (
                f"tests/test_accounts_migration.py::customers_to_accounts::{item}[{backend}]"
            ) in passed
        for item in MIGRATION_ITEMS:
            assert f"alembic.ini::{item}[{backend}]" in passed
    assert "alembic.ini::models_match_migrations[static]" in passed
    assert len(passed) == len(backends) * (len(SPEC_ITEMS) + len(MIGRATION_ITEMS)) + 1, passed
    assert " skipped" not in done.stdout and " failed" not in done.stdout
    print(f"examples/alembic_app: {len(passed)} items in {elapsed:.1f} s")

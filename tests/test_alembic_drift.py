"""Drift between an Alembic history and its models that Alembic's autogenerate (what
pytest-alembic's `test_model_definitions_match_ddl` runs) misses or misreports, found on
every path (SQLite, Postgres, the fold of the offline SQL) and never reported where the
two only spell one thing differently.

Measured with Alembic 1.20 on this project: autogenerate does not compare server defaults
unless `compare_server_default=True`, and on SQLite it reports a DESC index as removed and
added again even when the models match. It does see the varchar length and ON DELETE;
those rows are here so that every kind is pinned on every path.
"""

from __future__ import annotations

import shutil
import sys

import pytest

from .conftest import EXAMPLES, every_backend

MODEL_EDITS = {
    "default": ('server_default="draft"', 'server_default="published"'),
    "length": ("sa.String(200)", "sa.String(100)"),
    "desc": ('sa.desc("created_at")', '"created_at"'),
    "on_delete": ('sa.ForeignKey("authors.id", ondelete="CASCADE")', 'sa.ForeignKey("authors.id")'),
}
TABLES = {  # exactly as the failure prints them
    "default": [
        "table | object         | expected    | actual",
        "------+----------------+-------------+--------",
        "posts | default status | 'published' | 'draft'",
    ],
    "length": [
        "table | object     | expected     | actual",
        "------+------------+--------------+-------------",
        "posts | type title | varchar(100) | varchar(200)",
    ],
    "desc": [
        "table | object                  | expected | actual",
        "------+-------------------------+----------+-------",
        "posts | index (created_at)      | index    | absent",
        "posts | index (created_at DESC) | absent   | index",
    ],
    "on_delete": [
        "table | object                                 | expected            | actual",
        "------+----------------------------------------+---------------------+------------------",
        "posts | foreign key (author_id) -> authors(id) | ON DELETE NO ACTION | ON DELETE CASCADE",
    ],
}
TITLES = {
    "sqlite": "sqlite",
    "postgres": "postgres",
    "static": "static (fold of Alembic's offline SQL)",
}


def run(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, edit: str | None
) -> tuple[pytest.RunResult, list[str]]:
    shutil.copytree(EXAMPLES / "alembic_drift", pytester.path, dirs_exist_ok=True)
    monkeypatch.delitem(sys.modules, "models", raising=False)
    if edit is not None:
        models = pytester.path / "models.py"
        old, new = MODEL_EDITS[edit]
        assert old in models.read_text()
        models.write_text(models.read_text().replace(old, new))
    backends = every_backend(monkeypatch)
    result = pytester.runpytest_inprocess(
        "--dualwrite",
        f"--dualwrite-backend={','.join(backends)}",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:randomly",
        "-k",
        "models_match_migrations",
    )
    return result, [*backends, "static"]


def test_equivalent_spellings_are_not_drift(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """func.now() vs CURRENT_TIMESTAMP, sa.desc() vs text("... DESC"): one schema."""
    result, paths = run(pytester, monkeypatch, None)
    result.assert_outcomes(passed=len(paths))


@pytest.mark.parametrize("edit", list(MODEL_EDITS))
def test_each_drift_is_one_exact_row_on_every_path(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, edit: str
) -> None:
    result, paths = run(pytester, monkeypatch, edit)
    result.assert_outcomes(failed=len(paths))
    count = len(TABLES[edit]) - 2
    amount = f"{count} difference{'s' if count > 1 else ''}"
    for path in paths:
        title = TITLES[path]
        result.stdout.fnmatch_lines(
            [
                f"models differ from the migrations ({title}): {count} difference(s)",
                "",
                "--- drift ---",
                f"models vs migrations ({title}): {amount}",
                "",
                *(line.replace("[", "[[]") for line in TABLES[edit]),
            ],
            consecutive=True,
        )

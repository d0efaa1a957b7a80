"""Which run collects the migration checks: paths given on the command line as they are,
looping symlinks included (Path.resolve raises on those)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

from pytest_dualwrite.plugin import _collects_whole_project


def config(tmp_path: Path, *args: str) -> Any:
    return SimpleNamespace(args=list(args), invocation_params=SimpleNamespace(dir=tmp_path))


def test_a_looping_symlink_argument_is_not_the_migrations_folder(tmp_path: Path) -> None:
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    (tmp_path / "migrations").mkdir()
    (tmp_path / "test_x.py").write_text("")
    folder = tmp_path / "migrations"
    assert not _collects_whole_project(config(tmp_path, "loop"), folder)  # type: ignore[arg-type]
    assert _collects_whole_project(config(tmp_path, "loop", "."), folder)  # type: ignore[arg-type]
    assert not _collects_whole_project(config(tmp_path, "test_x.py::t"), folder)  # type: ignore[arg-type]
    assert _collects_whole_project(config(tmp_path, "migrations"), folder)  # type: ignore[arg-type]

"""`NNN_description.py` data steps: `upgrade(conn)` and an optional `downgrade(conn)`.

They share the numbering of the folder's SQL files (any convention but Flyway's) and are
imported from their path: a digit cannot start a module name.
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from ...errors import MigrationError
from ..model import Migration, PythonStep
from .base import Claim, Group, Reader
from .text import drop_names

_PYTHON = re.compile(r"(?P<version>\d+)(?:_(?P<desc>.*))?\.py")


class PythonReader(Reader):
    name = "python"
    label = "a Python step (NNN_description.py)"
    example = "NNN_description.py"
    allows_gaps = False  # alone in a folder, our own numbering rule

    def claim(self, path: Path) -> Sequence[Claim] | None:
        if not path.name.endswith(".py") or path.is_dir():
            return None
        m = _PYTHON.fullmatch(path.name)
        if m is None:
            return None  # a helper module, not a step (a digit-led name is refused later)
        return [Claim(path, self, "up", (int(m["version"]),), m["version"], m["desc"] or "")]

    def migration(self, group: Group) -> Migration:
        up = group.up
        assert up is not None
        if group.stand_ins:
            stand_in = next(iter(group.stand_ins.values()))
            raise MigrationError(
                f"{stand_in.path}: a per-dialect SQL stand-in for the Python step "
                f"{up.path.name}; branch on the connection's dialect inside upgrade(conn) "
                f"instead")
        step, drops = load_step(up.path)
        return Migration(up.version, up.version_text, up.description, self.name, step,
                         step if step.downgrade is not None else None, declared_drops=drops)


def load_step(path: Path) -> tuple[PythonStep, frozenset[str]]:
    """Import a step; its `upgrade`, `downgrade` and `DUALWRITE_DROPS`."""
    module = import_file(path)
    upgrade = getattr(module, "upgrade", None)
    if not callable(upgrade):
        raise MigrationError(
            f"{path}: defines no callable upgrade(conn); add `def upgrade(conn): ...`"
        )
    downgrade = getattr(module, "downgrade", None)
    if downgrade is not None and not callable(downgrade):
        raise MigrationError(f"{path}: downgrade is not a function; define `def downgrade(conn)`")
    raw = getattr(module, "DUALWRITE_DROPS", ())
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, (list, tuple, set, frozenset)) or not all(
        isinstance(n, str) for n in raw
    ):
        raise MigrationError(
            f'{path}: DUALWRITE_DROPS must be a list of "table" or "table.column" strings'
        )
    drops = frozenset(name for item in raw for name in drop_names(item))
    return PythonStep(path, upgrade, downgrade), drops


def import_file(path: Path) -> ModuleType:
    digest = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:12]
    name = f"_dualwrite_migration_{digest}_{re.sub(r'[^0-9A-Za-z_]', '_', path.stem)}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise MigrationError(f"{path}: cannot be imported as a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as exc:
        sys.modules.pop(name, None)
        raise MigrationError(f"{path}: failed to import: {_one_line(exc)}") from None
    return module


def _one_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__

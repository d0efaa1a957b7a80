"""`tests/test_x.py::spec`: the spec, from its test module, without running any test.

The module is imported the way pytest's default (`prepend`) import mode imports it: the
first folder above it without an `__init__.py` goes on `sys.path` and the module is
imported by its dotted name, so its own imports (`from .models import ...`,
`from myapp import ...` from the project root) resolve as they do in the test run. Test
functions are defined, never called.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

from ..dualwrite.spec import DualWrite
from ..errors import ConfigError, SpecError
from .run import verifiable


def _package_root(path: Path) -> tuple[Path, str]:
    """(folder for sys.path, dotted module name) as pytest's prepend mode finds them."""
    parts = [path.stem]
    folder = path.parent
    while (folder / "__init__.py").is_file():
        parts.insert(0, folder.name)
        folder = folder.parent
    return folder, ".".join(parts)


def load_spec(target: str) -> tuple[DualWrite, str]:
    """The `DualWrite` named by `PATH::name`, and its id (`PATH::name`)."""
    path_text, sep, name = target.rpartition("::")
    if not sep or not path_text or not name:
        raise ConfigError(
            f"{target!r}: name a spec as PATH::name (e.g. tests/test_items.py::items_spec)"
        )
    path = Path(path_text)
    if not path.is_file():
        raise ConfigError(f"{path_text}: no such file")
    root, module_name = _package_root(path.resolve())
    for folder in (str(root), str(Path.cwd())):
        if folder not in sys.path:
            sys.path.insert(0, folder)
    cached = sys.modules.get(module_name)
    if (
        cached is not None
        and Path(getattr(cached, "__file__", "") or "").resolve() != path.resolve()
    ):
        del sys.modules[module_name]  # another file of the same name, imported before
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:
        text = " ".join(str(exc).split()) or type(exc).__name__
        raise ConfigError(
            f"{path_text}: importing it raised {type(exc).__name__}: {text}"
        ) from None
    specs = {k: v for k, v in vars(module).items() if isinstance(v, DualWrite)}
    spec = specs.get(name)
    if spec is None:
        known = ", ".join(sorted(specs)) or "none"
        raise SpecError(f"{path_text}: no DualWrite spec named {name!r} (specs there: {known})")
    spec.name = spec.name or name
    verifiable(spec)
    return spec, f"{path_text}::{name}"

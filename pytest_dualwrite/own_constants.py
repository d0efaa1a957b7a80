"""Keep pytest-dualwrite's own source out of the values hypothesis draws.

hypothesis mixes into one draw in twenty a constant found in the source of the modules
loaded from outside site-packages: the user's code, which is where a magic value that
breaks a migration lives. Installed from a wheel, this package is in site-packages and
is not read. Installed editable (`pip install -e`, the way this project is developed and
tested), its ~1,200 string literals (SQL fragments, messages) became project names and
labels, and every literal changed anywhere in the plugin changed the examples a given
`--hypothesis-seed` produced: a check's verdict at one seed moved with unrelated edits.

This makes an editable install draw what a wheel install draws. It uses hypothesis'
internals (`providers.is_local_module_file`, 6.131 and later); where they are missing it
does nothing, and generation is what hypothesis does anyway.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

PACKAGE = Path(__file__).resolve().parent


def is_own(path: str) -> bool:
    """Whether `path` is a file of this package."""
    try:
        return Path(path).resolve().is_relative_to(PACKAGE)
    except (OSError, ValueError):
        return False


def exclude_own_constants() -> bool:
    """Make hypothesis skip this package's modules when it collects local constants;
    True when it could. Safe to call more than once."""
    try:
        from hypothesis.internal.conjecture import providers
    except ImportError:
        return False
    found: Callable[[str], bool] | None = getattr(providers, "is_local_module_file", None)
    if found is None or not hasattr(providers, "_get_local_constants"):
        return False
    if getattr(found, "_dualwrite_excludes", False):
        return True

    def is_local_module_file(path: str) -> bool:
        return not is_own(path) and found(path)

    marked: Any = is_local_module_file
    marked._dualwrite_excludes = True
    providers.is_local_module_file = marked
    return True


__all__ = ["exclude_own_constants", "is_own"]

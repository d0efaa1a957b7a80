"""No `st.composite` is applied inside a function of the package (issue 16).

hypothesis' `composite` reads and parses the decorated function's source to check its
first parameter: about 1 ms for a function of a dozen lines, paid every time the
decorator runs. Inside a function that builds a strategy per state-machine step, that was
~6 ms of every example. At module level it runs once, at import.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest_dualwrite

PACKAGE = Path(pytest_dualwrite.__file__).parent


def _is_composite(decorator: ast.expr) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
    return name == "composite"


def nested_composites(source: str) -> list[str]:
    """`name:line` of each `@composite` function defined inside another function."""
    found = []
    for outer in ast.walk(ast.parse(source)):
        if not isinstance(outer, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for inner in ast.walk(outer):
            if inner is not outer and isinstance(inner, ast.FunctionDef) \
                    and any(_is_composite(d) for d in inner.decorator_list):
                found.append(f"{inner.name}:{inner.lineno}")
    return found


def test_the_scan_finds_a_composite_built_per_call() -> None:
    source = ("from hypothesis import strategies as st\n"
              "def build(keys):\n"
              "    @st.composite\n"
              "    def pick(draw):\n"
              "        return draw(st.sampled_from(keys))\n"
              "    return pick()\n"
              "@st.composite\n"
              "def fine(draw):\n"
              "    return 1\n")
    assert nested_composites(source) == ["pick:4"]


def test_no_composite_is_built_inside_a_function() -> None:
    found = {str(path.relative_to(PACKAGE)): names
             for path in sorted(PACKAGE.rglob("*.py"))
             if (names := nested_composites(path.read_text(encoding="utf-8")))}
    assert found == {}

"""How a failing example reads: the operations in order, the differences, the user's traceback.

Kept apart from the harness so every check (and the report) words a failure the same way.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass, field
from typing import Any

from ..errors import DualWriteAssertion
from .compare import Comparison


class UserCallableFailed(Exception):
    """The user's own callable raised: its name and traceback are the story."""

    def __init__(self, name: str, exc: BaseException) -> None:
        self.name = name
        self.original = exc
        frames = traceback.format_exception(type(exc), exc, exc.__traceback__)
        self.traceback = "".join(frames)
        # The work it did was undone (a backfill batch rolled back to its savepoint): the
        # database can still be read to explain the failure.
        self.rolled_back = False
        super().__init__(f"{name} raised {type(exc).__name__}: {exc}")


@dataclass
class OperationLog:
    """The operations of one example, in order, as a person reads them."""

    lines: list[str] = field(default_factory=list)

    def add(self, text: str) -> None:
        self.lines.append(text)

    def render(self) -> str:
        return "\n".join(f"{i:>3}. {line}" for i, line in enumerate(self.lines, 1)) or "(none)"


def short(value: Any, width: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def failure(summary: str, log: OperationLog, details: str,
            differences: list[dict[str, Any]] | None = None) -> DualWriteAssertion:
    sections = [("operations", log.render()), ("differences", details)]
    data = {"operations": list(log.lines),
            "differences": differences if differences is not None else [
                {"kind": "other", "table": "", "key": None, "field": None,
                 "old": None, "new": line} for line in details.splitlines()]}
    return DualWriteAssertion(summary, sections, data)


def differences_of(result: Comparison, new_label: str) -> list[dict[str, Any]]:
    """A comparison's samples as report records: table, key, field, old, new."""
    def key(values: Any) -> Any:
        values = list(values)
        return values[0] if len(values) == 1 else values

    out: list[dict[str, Any]] = []
    for d in result.changed:
        out.append({"kind": "changed", "table": new_label, "key": key(d.key), "field": d.field,
                    "old": d.old_value, "new": d.new_value})
    for r in result.missing:
        out.append({"kind": "missing", "table": new_label, "key": key(r[k] for k in result.key),
                    "field": None, "old": dict(r), "new": None})
    for r in result.extra:
        out.append({"kind": "extra", "table": new_label, "key": key(r[k] for k in result.key),
                    "field": None, "old": None, "new": dict(r)})
    for dup in result.duplicates:
        out.append({"kind": "duplicate", "table": new_label, "key": key(dup.key),
                    "field": None, "old": dup.old_count, "new": dup.new_count})
    return out


def callable_failure(exc: UserCallableFailed, log: OperationLog) -> DualWriteAssertion:
    summary = f"{exc.name} raised {type(exc.original).__name__}: {exc.original}"
    return DualWriteAssertion(
        summary, [("operations", log.render()), (f"traceback of {exc.name}", exc.traceback)],
        {"operations": list(log.lines),
         "differences": [{"kind": "error", "table": "", "key": None, "field": None,
                          "old": None, "new": summary.splitlines()[0]}]})

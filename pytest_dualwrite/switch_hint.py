"""The one line a run without `--dualwrite` prints when it met specs it did not run.

Without the switch the plugin collects nothing (a suite that merely has the plugin
installed must not start databases), so a new user's first run reads "collected 0 items"
and nothing says why. The specs are still seen while pytest collects modules; this keeps
their names and words the hint.
"""

from __future__ import annotations


class SeenSpecs:
    """Specs met during a run without `--dualwrite`, as `file::name`."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def add(self, where: str) -> None:
        if where not in self.names:
            self.names.append(where)

    def line(self) -> str | None:
        if not self.names:
            return None
        count = len(self.names)
        shown = ", ".join(self.names[:3]) + (f" and {count - 3} more" if count > 3 else "")
        noun = "spec" if count == 1 else "specs"
        return (f"pytest-dualwrite: {count} DualWrite {noun} not run ({shown}): "
                "`pytest --dualwrite` runs them")

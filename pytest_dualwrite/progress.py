"""Live progress of a long item: examples done and hypothesis' phase, on a terminal only.

A spec item runs for seconds to minutes; pytest shows nothing until it ends. While one
runs, its line ends with ` [37 examples, generating]`, rewritten in place (backspaces,
so the line pytest is writing, and its own idea of that line's width, are untouched) and
erased when the item ends. Nothing is written where it would become clutter: with `-q`,
in an xdist worker (the controller owns the screen), or when the output is not a terminal
or the run is on CI (a log would keep every rewrite). `DUALWRITE_PROGRESS=1` forces it on,
`=0` off.

The checks tick it (`example()` per hypothesis example, `failed()` once an example has
failed, after which hypothesis is shrinking); the item installs a `Progress` for the time it
runs. With none installed a tick does nothing, so the checks run the same from a script.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, nullcontext
from contextvars import ContextVar
from typing import Any

# Environment variables CI services set; progress there would fill the log.
CI_VARIABLES = ("CI", "BUILD_NUMBER", "TF_BUILD", "GITHUB_ACTIONS", "GITLAB_CI", "JENKINS_URL")
INTERVAL = 0.2  # seconds between rewrites: fast enough to look alive, cheap to draw


def enabled(*, isatty: bool, verbosity: int, worker: bool, env: Mapping[str, str]) -> bool:
    """Whether progress may be drawn in this run."""
    forced = env.get("DUALWRITE_PROGRESS", "").strip().lower()
    if verbosity < 0 or worker or forced in ("0", "false", "no", "off"):
        return False
    if forced in ("1", "true", "yes", "on"):
        return True
    return isatty and not any(env.get(name) for name in CI_VARIABLES)


class Progress:
    """One item's counter; `write` puts text on the terminal as it is (no newline)."""

    def __init__(self, write: Callable[[str], None],
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._write = write
        self._clock = clock
        self.examples = 0
        self.phase = "generating"
        self._shown = ""
        self._last = clock()  # a quick item draws nothing

    def example(self) -> None:
        self.examples += 1
        self._draw()

    def failed(self) -> None:
        """An example failed: from now on hypothesis shrinks it."""
        if self.phase != "shrinking":
            self.phase = "shrinking"
            self._draw(force=True)

    def text(self) -> str:
        noun = "example" if self.examples == 1 else "examples"
        return f" [{self.examples} {noun}, {self.phase}]"

    def _draw(self, force: bool = False) -> None:
        now = self._clock()
        if not force and now - self._last < INTERVAL:
            return
        self._last = now
        text = self.text()
        self._write(self._erase() + text)
        self._shown = text

    def _erase(self) -> str:
        width = len(self._shown)
        return "\b" * width + " " * width + "\b" * width if width else ""

    def close(self) -> None:
        if self._shown:
            self._write(self._erase())
            self._shown = ""


_CURRENT: ContextVar[Progress | None] = ContextVar("dualwrite_progress", default=None)


@contextmanager
def showing(progress: Progress | None) -> Iterator[None]:
    """Install `progress` (None: nothing drawn) for the checks run inside."""
    token = _CURRENT.set(progress)
    try:
        yield
    finally:
        _CURRENT.reset(token)
        if progress is not None:
            progress.close()


def example() -> None:
    """A hypothesis example started (called by the checks)."""
    current = _CURRENT.get()
    if current is not None:
        current.example()


def failed() -> None:
    """An example failed: hypothesis now shrinks (called by the checks)."""
    current = _CURRENT.get()
    if current is not None:
        current.failed()


def for_terminal(config: Any) -> Progress | None:
    """A `Progress` drawing on pytest's terminal, or None where none may be drawn.

    Written straight to the terminal's stream, outside output capture (as pytest's live
    logging is), so pytest's own record of the current line stays true.
    """
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    stream = getattr(getattr(reporter, "_tw", None), "_file", None)
    if reporter is None or stream is None:
        return None
    if not enabled(isatty=bool(reporter.isatty()), verbosity=config.get_verbosity(),
                   worker=hasattr(config, "workerinput"), env=os.environ):
        return None
    capture = config.pluginmanager.get_plugin("capturemanager")

    def write(text: str) -> None:
        with capture.global_and_fixture_disabled() if capture is not None else nullcontext():
            stream.write(text)
            stream.flush()

    return Progress(write)

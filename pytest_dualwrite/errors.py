"""Errors a user can cause, and the assertion that tells a failing story.

`DualWriteError` subclasses carry one line a person can act on (the file, line or setting
named); the plugin prints that line instead of a traceback. `DualWriteAssertion` is what a
failing check raises: titled sections (the operations, the differences) that pytest shows
as they are.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

_PASSWORD_IN_URL = re.compile(r"(?P<head>[a-zA-Z][a-zA-Z0-9+.\-]*://[^:/@\s]*:)(?P<pw>[^@\s]*)(?P<tail>@)")


def mask_password(text: str) -> str:
    """Replace the password of every URL in `text` with `***`."""
    return _PASSWORD_IN_URL.sub(lambda m: f"{m['head']}***{m['tail']}", text)


class DualWriteError(Exception):
    """A problem the user can fix; `str()` is the one line we show."""

    def __init__(self, message: str) -> None:
        super().__init__(mask_password(message))

    @property
    def message(self) -> str:
        return str(self)


class ConfigError(DualWriteError):
    """A setting (CLI, env, ini) that cannot be used."""


class BackendUnavailable(DualWriteError):
    """A backend that cannot serve this run; items for it are skipped with this reason."""


class BackendError(DualWriteError):
    """A backend that was chosen but failed (unreachable server, bad credentials)."""


class MigrationError(DualWriteError):
    """A migrations folder or file that cannot be read, validated or applied."""


class SpecError(DualWriteError):
    """A `DualWrite` spec that does not fit the schema it names."""


class DualWriteAssertion(AssertionError):
    """A failed check, shown as titled sections instead of a traceback."""

    def __init__(self, summary: str, sections: Iterable[tuple[str, str]] = (),
                 data: dict[str, Any] | None = None) -> None:
        self.summary = mask_password(summary)
        self.sections = [(title, mask_password(body)) for title, body in sections]
        # The same story as data, for the JSON report: {"operations": [...], "differences": [...]}
        self.data = data
        super().__init__(self.render())

    def render(self) -> str:
        out = [self.summary]
        for title, body in self.sections:
            out.append("")
            out.append(f"--- {title} ---")
            out.append(body.rstrip())
        return "\n".join(out)

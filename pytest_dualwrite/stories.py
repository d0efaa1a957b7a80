"""A failed item's text: the story a check tells, never pytest's and pluggy's frames.

A check fails with a `DualWriteAssertion` (titled sections) or a one-line
`DualWriteError`. When hypothesis finds two distinct failures in one run it raises them as
an `ExceptionGroup`, which pytest prints as a traceback through some forty frames of
pluggy and hypothesis; here each member tells its own story instead, numbered.
"""

from __future__ import annotations

import re
import traceback

from .errors import DualWriteAssertion, DualWriteError
from .unsafe_values import UnsafeOverride

# A string literal in hypothesis' repro note longer than the differences show values whole.
_LONG_LITERAL = re.compile(r"""(?P<q>['"])(?P<body>(?:[^'"\\]|\\.){200,}?)(?P=q)""")

# Frames of the machinery around a check: they say nothing about the user's code.
_MACHINERY = ("/pluggy/", "/_pytest/", "/hypothesis/", "/pytest_dualwrite/")


def story(exc: BaseException) -> str | None:
    """The text a failed item shows for `exc`; None to leave it to pytest."""
    if isinstance(exc, UnsafeOverride):  # one line: hypothesis' note adds only its draw
        return str(exc)
    if isinstance(exc, DualWriteAssertion | DualWriteError):
        return "\n".join([str(exc), *map(_shorten, getattr(exc, "__notes__", []))])
    if _members(exc):
        members = _flatten(exc)
        parts = [f"=== failure {i} of {len(members)} ===\n{story(m) or _short_traceback(m)}"
                 for i, m in enumerate(members, 1)]
        return f"{len(members)} distinct failures, each with its own example:\n\n" + \
            "\n\n".join(parts)
    return None


def _shorten(note: str) -> str:
    """Hypothesis' repro note with long string literals cut, their length given."""
    def cut(match: re.Match[str]) -> str:
        body = match["body"]
        return f"{match['q']}{body[:30]}{match['q']}… ({len(body)} characters as written)"

    return _LONG_LITERAL.sub(cut, note)


def _members(exc: BaseException) -> list[BaseException]:
    """An exception group's members (read by shape: Python 3.10 has no builtin group)."""
    members = getattr(exc, "exceptions", None)
    if not isinstance(members, tuple):
        return []
    return [m for m in members if isinstance(m, BaseException)]


def _flatten(group: BaseException) -> list[BaseException]:
    out: list[BaseException] = []
    for member in _members(group):
        out += _flatten(member) if _members(member) else [member]
    return out


def _short_traceback(exc: BaseException) -> str:
    """The exception with only the frames outside the test machinery (the user's code)."""
    stack = traceback.extract_tb(exc.__traceback__)
    kept = [f for f in stack if not any(part in f.filename for part in _MACHINERY)]
    lines = traceback.format_list(kept) if kept else []
    lines += traceback.format_exception_only(type(exc), exc)
    lines += [_shorten(note) + "\n" for note in getattr(exc, "__notes__", [])]
    return "".join(lines).rstrip()

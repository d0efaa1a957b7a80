"""Errors a user can cause, and the assertion that tells a failing story.

`DualWriteError` subclasses carry one line a person can act on (the file, line or setting
named); the plugin prints that line instead of a traceback. `DualWriteAssertion` is what a
failing check raises: titled sections (the operations, the differences) that pytest shows
as they are.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from .secrets import mask as mask_password  # the one masking function, re-exported


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


class ConnectionLost(BackendError):
    """The server ended a session mid-item (`pg_terminate_backend`, a restart, a network
    drop). Not a finding about the user's data: the item fails with this one line, and the
    run goes on and still drops every database it created."""


class MigrationError(DualWriteError):
    """A migrations folder or file that cannot be read, validated or applied."""


class SpecError(DualWriteError):
    """A `DualWrite` spec that does not fit the schema it names."""


class UserCodeError(DualWriteError):
    """A user callable that broke its contract or its bounds (returned the wrong thing, ran
    past its timeout, a backfill that never ends): one line, whatever example showed it."""


class Abort(BaseException):
    """Carries a `DualWriteError` (a `UserCodeError`, a step the server refuses) out of
    hypothesis at once. Not an `Exception`: hypothesis would shrink it (re-running a
    callable that sleeps until its timeout, again and again) and the user's own
    `except Exception` would swallow it. The check's entry point turns it back into the
    error."""

    def __init__(self, error: DualWriteError) -> None:
        super().__init__(str(error))
        self.error = error


def one_line(exc: BaseException) -> str | None:
    """The one line a failure reduces to, when it is a problem the user can fix: a
    `DualWriteError`, also inside the group hypothesis raises for a failure that did not
    happen again when it re-ran the same example (a step that fails only on a later call)."""
    if isinstance(exc, UserCodeError):
        return str(exc)
    if type(exc).__name__ == "FlakyFailure" and getattr(exc, "exceptions", None):
        inner = [e for e in _leaves(exc) if isinstance(e, DualWriteError)]
        if inner:
            return only_once(str(inner[0]))
    return None


def only_once(message: str) -> str:
    """`message` of a failure that did not happen again on the same data."""
    return (f"{message} (only once: run again with the same data it passed; does it depend "
            "on how many times it was called?)")


def _leaves(group: BaseException) -> list[BaseException]:
    out: list[BaseException] = []
    for e in getattr(group, "exceptions", ()):
        if isinstance(e, BaseException):
            out += _leaves(e) if getattr(e, "exceptions", None) else [e]
    return out


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


# SQLSTATEs of a session that is gone: class 08 (connection exception), 57P01 admin
# shutdown (pg_terminate_backend), 57P02 crash shutdown, 57P03 cannot connect now.
_LOST_STATES = ("57P01", "57P02", "57P03")
# The same, for driver errors raised before the server could send a code.
_LOST_PHRASES = ("server closed the connection", "terminating connection",
                 "connection is closed", "the connection is lost", "connection already closed",
                 "consuming input failed", "ssl connection has been closed")


def _lost_reason(exc: BaseException) -> str | None:
    """The driver's first line when `exc` says the session is gone, else None."""
    original: BaseException | None = exc
    invalidated = False
    if isinstance(exc, sa.exc.DBAPIError):
        original, invalidated = exc.orig, exc.connection_invalidated
    if original is None:
        return None
    state = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
    text = str(original).strip()
    lost = invalidated or (isinstance(state, str) and (
        state.startswith("08") or state in _LOST_STATES))
    from_driver = isinstance(exc, sa.exc.DBAPIError) or \
        type(original).__module__.split(".")[0] in ("psycopg", "psycopg2", "pg8000")
    if not lost and from_driver:
        lost = any(phrase in text.lower() for phrase in _LOST_PHRASES)
    if not lost:
        return None
    return text.splitlines()[0] if text else type(original).__name__


def connection_lost(exc: BaseException, backend: str = "postgres") -> ConnectionLost | None:
    """A lost connection anywhere in `exc`'s story, as one line; None if there is none.

    The story is the causes and contexts (a user callable's failure is re-raised `from
    None`, but keeps its context), a wrapped callable's original error and the members of an
    exception group (hypothesis reports a loss that did not recur as flaky). The name of the
    user callable that was running, when there was one, says where it happened.
    """
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    where: str | None = None
    while todo:
        current = todo.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        original = getattr(current, "original", None)
        name = getattr(current, "name", None)
        if isinstance(original, BaseException) and isinstance(name, str) and where is None:
            where = name  # a user callable that raised (dualwrite.harness.UserCallableFailed)
        reason = _lost_reason(current)
        if reason is not None:
            during = f" during {where}" if where else ""
            return ConnectionLost(
                f"{backend}: connection lost{during}: {reason} (the server ended the session: "
                "pg_terminate_backend, a restart or a network drop)")
        todo += [e for e in (current.__cause__, current.__context__, original)
                 if isinstance(e, BaseException)]
        todo += [e for e in getattr(current, "exceptions", ()) if isinstance(e, BaseException)]
    return None

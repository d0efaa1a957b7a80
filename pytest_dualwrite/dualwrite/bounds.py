"""Bounds on the user's code: a time limit per call, a batch limit per backfill run.

A `write` that sleeps, a query that never returns, a backfill of `while True: yield`
would otherwise hang the run (or fill the memory) with no word. Each fails its item
with one line that names the callable and the setting that bounds it.

The time limit is kept by one watchdog thread. When a call runs past it, the watchdog
first stops the database work (SQLite's `interrupt()`, the Postgres driver's `cancel()`:
the same cancel request as `pg_cancel_backend`), then, every half second until the call
ends, sends SIGALRM to the main thread, whose handler raises inside the user's Python (a
`time.sleep`, a busy loop). Not an `Exception`, so the user's `except Exception` does not
swallow it. Off the main thread, or without signals (Windows), only the database side is
bounded.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from ..errors import Abort, UserCodeError

DEFAULT_CALL_TIMEOUT = 60.0  # seconds
DEFAULT_MAX_BATCHES = 10_000
_NUDGE = 0.5  # seconds between SIGALRMs once a call is past its time

_SIGNALS = hasattr(signal, "SIGALRM") and hasattr(signal, "pthread_kill")


def _handler() -> Any:
    """SIGALRM's handler. `signal.getsignal` turns it into an enum member where it can,
    and a function handler costs it a failed enum lookup: 60 us, on every call."""
    return _raw_getsignal(signal.SIGALRM)


try:
    from _signal import getsignal as _raw_getsignal
except ImportError:  # pragma: no cover  # another interpreter
    _raw_getsignal = signal.getsignal


class _Expired(BaseException):
    """Raised in the main thread by our SIGALRM handler, in a call past its time."""


@dataclass
class _Call:
    deadline: float
    dbapi: Any
    thread: int
    signal: bool
    fired: bool = False
    nudged: float = 0.0


@dataclass
class Bounds:
    """The limits of one run; `None` or 0 means no limit."""

    call_timeout: float | None = DEFAULT_CALL_TIMEOUT
    max_batches: int | None = DEFAULT_MAX_BATCHES
    _cond: threading.Condition = field(default_factory=threading.Condition, repr=False)
    _armed: _Call | None = field(default=None, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)
    _previous: Any = field(default=None, repr=False)
    _installed: bool = field(default=False, repr=False)

    @contextmanager
    def limit(self, conn: sa.Connection, where: str, name: str) -> Iterator[None]:
        """Run the body (one call of the user's `name`) within the time limit."""
        seconds = self.call_timeout
        if not seconds:
            yield
            return
        call = _Call(time.monotonic() + seconds, _dbapi(conn), threading.get_ident(),
                     self._install())
        self._arm(call)
        try:
            try:
                yield
            finally:
                self._disarm()
        except BaseException:
            if call.fired:
                raise self._timeout(where, name, seconds) from None
            raise
        if call.fired:  # the user's code caught what stopped it, and returned
            raise self._timeout(where, name, seconds)

    def check_batches(self, where: str, name: str, batches: int) -> None:
        """A backfill run that yielded `batches` batches and is not done yet."""
        limit = self.max_batches
        if limit and batches >= limit:
            raise Abort(UserCodeError(
                f"{where}: backfill={name} yielded {batches} batches without finishing "
                f"(limit {limit}: --dualwrite-max-batches / dualwrite_max_batches); does it "
                "ever stop? A batch that copies nothing must end the backfill"))

    def close(self) -> None:
        """Give SIGALRM back to whoever had it (the watchdog thread is a daemon)."""
        if self._installed and threading.current_thread() is threading.main_thread() \
                and _handler() == self._on_alarm:
            previous = self._previous  # None: set outside Python; the default then
            signal.signal(signal.SIGALRM, signal.SIG_DFL if previous is None else previous)
        self._installed = False

    # --- the watchdog ------------------------------------------------------------------
    def _timeout(self, where: str, name: str, seconds: float) -> Abort:
        return Abort(UserCodeError(
            f"{where}: {name} did not return within {seconds:g} s (--dualwrite-call-timeout "
            "/ dualwrite_call_timeout); does it wait on something that never comes? If it "
            "is only slow, raise the limit"))

    def _install(self) -> bool:
        """Our SIGALRM handler in the main thread (again, when pytest-timeout or the user
        reset it since: theirs is kept and called for their alarms); whether it is there."""
        if not _SIGNALS or threading.current_thread() is not threading.main_thread():
            return False
        current = _handler()
        if current != self._on_alarm:
            self._previous = current
            signal.signal(signal.SIGALRM, self._on_alarm)
            self._installed = True
        return True

    def _on_alarm(self, signum: int, frame: Any) -> None:
        call = self._armed
        if call is not None and call.fired:
            raise _Expired()
        if callable(self._previous):  # someone else's alarm (pytest-timeout): theirs
            self._previous(signum, frame)

    def _arm(self, call: _Call) -> None:
        with self._cond:
            self._armed = call
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._watch, daemon=True,
                                                name="dualwrite-watchdog")
                self._thread.start()
            # No notify: the watchdog looks every `_poll()` seconds. Waking it on every call
            # cost 140 us a call; a look a quarter of the limit late costs nothing.

    def _poll(self) -> float:
        return min(max((self.call_timeout or 1.0) / 4, 0.01), 1.0)

    def _disarm(self) -> None:
        # Under the lock: once this returns, the watchdog sends no signal for this call.
        with self._cond:
            self._armed = None

    def _watch(self) -> None:
        while True:
            with self._cond:
                call = self._armed
                now = time.monotonic()
                due = None if call is None else (
                    call.deadline if not call.fired else call.nudged + _NUDGE)
                if call is None or due is None or now < due:
                    self._cond.wait(self._poll() if due is None else min(due - now,
                                                                         self._poll()))
                    continue
                first = not call.fired
                call.fired = True
                call.nudged = now
                # Only to our own handler: under SIG_DFL a SIGALRM ends the process.
                if not first and call.signal and \
                        _handler() == self._on_alarm:
                    signal.pthread_kill(call.thread, signal.SIGALRM)
            if first:
                _interrupt(call.dbapi)


def _dbapi(conn: sa.Connection) -> Any:
    try:
        return conn.connection.dbapi_connection
    except Exception:  # closed or invalidated: nothing to interrupt
        return None


def _interrupt(dbapi: Any) -> None:
    """Stop the statement running on `dbapi`, from another thread."""
    stop = getattr(dbapi, "interrupt", None) or getattr(dbapi, "cancel", None)
    if stop is None:
        return
    try:
        stop()
    except Exception:
        pass  # the call ended (and its connection closed) meanwhile: nothing runs


"""Two sides of a race, each on its own connection and thread, let go one step at a time.

A `Side` runs some work (the backfill; one operation of the application's) in a thread on
its own connection and stops before each SQL statement it sends (an SQLAlchemy
`before_cursor_execute` event on that connection) and before each commit the engine makes
for it. The driver, in the main thread, lets one side take one step, then waits until it
stops again. A step that does not stop soon may be waiting for a row lock the other side
holds: the server says so (`pg_blocking_pids`), and the driver then moves the other side
on, as the server itself would let it, until the lock is released. Nothing here knows what
the work is: the scheduler is the same for every backfill and every bug.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

POLL = 0.02  # seconds a step may run before the server is asked whether it waits on a lock


class Cancelled(BaseException):
    """Raised in a side's thread at its next stop once the driver gave up on it."""


def statement_text(statement: str, width: int = 160) -> str:
    text = re.sub(r"\s+", " ", statement).strip()
    return text if len(text) <= width else text[: width - 1] + "…"


class Side:
    """A thread doing `work(conn)`, stopping before each statement and each commit."""

    def __init__(self, label: str, conn: sa.Connection) -> None:
        self.label = label
        self.conn = conn
        self.cond = threading.Condition()
        self.state = "idle"  # running | paused | done | failed
        self.at = ""  # what it does when let go (the statement, or "commit")
        self.error: BaseException | None = None
        self.statements = 0
        self._permits = 0
        self._cancelled = False
        self._thread: threading.Thread | None = None
        info = getattr(conn.connection.dbapi_connection, "info", None)
        self.pid = getattr(info, "backend_pid", None)  # psycopg 3 knows it: no round trip
        if self.pid is None:
            self.pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
            conn.commit()
        sa.event.listen(conn, "before_cursor_execute", self._before)

    def close(self) -> None:
        sa.event.remove(self.conn, "before_cursor_execute", self._before)

    # --- in the side's thread ---------------------------------------------------------
    def _before(self, conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        if threading.current_thread() is self._thread:
            self.statements += 1
            self.stop(statement_text(statement))

    def stop(self, what: str) -> None:
        """Wait here until the driver lets this side take its next step."""
        with self.cond:
            self.at, self.state = what, "paused"
            self.cond.notify_all()
            while self._permits == 0 and not self._cancelled:
                self.cond.wait()
            if self._cancelled:
                raise Cancelled()
            self._permits -= 1
            self.state = "running"

    def _run(self, work: Callable[[sa.Connection], Any]) -> None:
        try:
            work(self.conn)
        except Cancelled:
            state, error = "failed", None
        except BaseException as exc:  # handed to the driver, re-raised there
            state, error = "failed", exc
        else:
            state, error = "done", None
        with self.cond:
            self.state, self.error = state, error
            self.cond.notify_all()

    # --- in the driver's thread ---------------------------------------------------------
    def start(self, work: Callable[[sa.Connection], Any]) -> None:
        self.state, self.error, self.statements, self._permits = "running", None, 0, 0
        self._thread = threading.Thread(
            target=self._run, args=(work,), daemon=True, name=f"dualwrite-{self.label}"
        )
        self._thread.start()

    def go(self) -> None:
        with self.cond:
            self._permits += 1
            self.state = "running"
            self.cond.notify_all()

    def settled(self, timeout: float) -> bool:
        """Whether it stopped, ended or failed within `timeout` seconds."""
        with self.cond:
            return self.cond.wait_for(lambda: self.state != "running", timeout)

    @property
    def live(self) -> bool:
        return self.state in ("running", "paused")

    def cancel(self, join: float) -> None:
        """Stop the side: its statement on the server, then its thread (joined, bounded)."""
        with self.cond:
            self._cancelled = True
            self.cond.notify_all()
        dbapi = (
            getattr(self.conn.connection, "dbapi_connection", None)
            if not self.conn.closed and not self.conn.invalidated
            else None
        )
        stop = getattr(dbapi, "cancel", None)
        if stop is not None and self.state == "running":
            try:
                stop()
            except Exception:
                pass  # the statement ended meanwhile
        if self._thread is not None:
            self._thread.join(join)


def waits_on_lock(monitor: sa.Connection, side: Side) -> bool:
    """Whether the server has `side`'s session waiting for a lock another session holds."""
    blocked = monitor.execute(
        sa.text("SELECT cardinality(pg_blocking_pids(:pid)) > 0"), {"pid": side.pid}
    ).scalar()
    return bool(blocked)


def settle(side: Side, monitor: sa.Connection, deadline: float) -> str:
    """Wait for a side let go to stop again: 'stopped', or 'blocked' when the server has
    it waiting on a lock (the other side must move first). Past `deadline`: 'timeout'."""
    while not side.settled(POLL):
        if waits_on_lock(monitor, side):
            return "blocked"
        if time.monotonic() > deadline:
            return "timeout"
    return "stopped"


__all__ = ["Cancelled", "Side", "settle", "statement_text", "waits_on_lock"]

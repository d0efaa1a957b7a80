"""pytest nodes for the plugin's own checks: one collector per spec or migrations folder.

Each item only calls a plain function (in `checks` or `dualwrite.engine`) with the backend
it runs on; the nodes exist so that ids read `test_x.py::<spec>::<item>[<backend>]` and
`<migrations>::<item>[<backend>]`, and so failures print as stories, not tracebacks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest
from _pytest._code.code import ReprFileLocation, TerminalRepr

from . import progress
from .backends.base import Backend
from .errors import DualWriteAssertion, DualWriteError, connection_lost, one_line
from .fixtures import backend_or_skip, get_session
from .migrations.notes import item_notes
from .report import ItemResult
from .secrets import mask
from .session import Session
from .stories import story

# A check raises on failure; it may return notes a pass carries (one line each).
CheckFn = Callable[[Session, Backend], "list[str] | None"]


class MaskedRepr(TerminalRepr):
    """A failure's text with its passwords hidden, for the terminal, JUnit and xdist."""

    def __init__(self, text: str, crash: ReprFileLocation | None) -> None:
        self.text = text
        if crash is not None:
            crash = ReprFileLocation(crash.path, crash.lineno, mask(crash.message))
        self.reprcrash = crash

    def toterminal(self, tw: Any) -> None:
        for line in self.text.splitlines():
            tw.line(line)


def mask_report(report: pytest.TestReport) -> None:
    """No password in a failure's text or its captured output."""
    text = str(report.longrepr)
    if mask(text) != text:
        report.longrepr = MaskedRepr(mask(text), getattr(report.longrepr, "reprcrash", None))
    report.sections = [(title, mask(body)) for title, body in report.sections]


class DualWriteItem(pytest.Item):
    """One check on one backend."""

    def __init__(self, *, check: CheckFn | None, backend_name: str, check_name: str,
                 skip_reason: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.check = check
        self.backend_name = backend_name
        self.check_name = check_name
        self.skip_reason = skip_reason
        self.figures: dict[str, int] = {}
        self.notes: list[str] = []  # statements its backend skipped or ran unread
        self.check_notes: list[str] = []  # what a passing check has to say (a Java step)
        self.add_marker(pytest.mark.dualwrite)
        if backend_name in ("sqlite", "postgres"):
            self.add_marker(getattr(pytest.mark, backend_name))

    def runtest(self) -> None:
        if self.skip_reason:
            pytest.skip(self.skip_reason)
        session = get_session(self.config)
        assert session is not None and self.check is not None
        backend = backend_or_skip(session, self.backend_name) \
            if self.backend_name != "static" else None
        session.last_figures = {}
        try:
            with progress.showing(progress.for_terminal(self.config)):
                self.check_notes = list(
                    self.check(session, backend) or [])  # type: ignore[arg-type]
        finally:
            self.figures = dict(session.last_figures)
            self.notes = item_notes(session, self.backend_name, getattr(self.check, "spec", None))
        if self.check_notes:
            self.add_report_section("call", "dualwrite notes", "\n".join(self.check_notes))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> str | Any:
        lost = connection_lost(excinfo.value, self.backend_name)
        if lost is not None:
            # One line, then what ran before the loss; the driver's traceback (and
            # hypothesis' flaky-replay report, when the loss did not recur) tell nothing more.
            value = excinfo.value
            ran = [f"\n--- {title} ---\n{body.rstrip()}" for title, body in value.sections
                   if title == "operations"] if isinstance(value, DualWriteAssertion) else []
            return "\n".join([str(lost), *ran])
        told = one_line(excinfo.value)  # a callable out of bounds; a flaky step's error
        if told is None:
            told = story(excinfo.value)
        return told if told is not None else super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Any, int | None, str]:
        """The spec's file and line (what JUnit's xunit1 `file`/`line` and IDEs show), and
        `spec::check[backend]` as the failure header."""
        line = self.parent.line if isinstance(self.parent, ChecksNode) else None
        return self.path, line, f"{self.parent.name}::{self.name}" if self.parent else self.name


class ChecksNode(pytest.Collector):
    """A spec variable or a migrations folder: the parent of its checks."""

    def __init__(self, *, checks: Iterable[tuple[str, str, CheckFn | None, str | None]],
                 problem: DualWriteError | None = None, line: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._checks = list(checks)
        self.line = line  # 0-based line of the spec's `DualWrite(...)` in self.path
        # A spec that cannot be run at all fails its own collection with this one line,
        # and only its own: the module's other specs and tests still collect.
        self._problem = problem

    def collect(self) -> Iterator[DualWriteItem]:
        if self._problem is not None:
            raise self._problem
        for check_name, backend, fn, skip in self._checks:
            yield DualWriteItem.from_parent(
                self, name=f"{check_name}[{backend}]", check=fn, backend_name=backend,
                check_name=check_name, skip_reason=skip)

    def repr_failure(  # type: ignore[override]  # a Collector's takes no style
        self, excinfo: pytest.ExceptionInfo[BaseException]
    ) -> str | Any:
        if isinstance(excinfo.value, DualWriteError):
            return str(excinfo.value)
        return super().repr_failure(excinfo)


def result_of(item: DualWriteItem, report: pytest.TestReport,
              call: pytest.CallInfo[None]) -> ItemResult:
    """One report row: outcome, figures, and for a failure its story as data."""
    outcome = report.outcome if report.when == "call" else (
        "skipped" if report.skipped else "error")
    message: str | None = None
    counterexample = None
    counterexamples: list[dict[str, Any]] = []
    if call.excinfo is not None:
        value = call.excinfo.value
        lost = connection_lost(value, item.backend_name)
        if report.skipped:
            message = str(getattr(value, "msg", value))
        elif lost is not None:
            message = str(lost)
        else:
            message = getattr(value, "summary", None) or (
                one_line(value) or str(value)).splitlines()[0]
            # Each distinct failure of a group (hypothesis found several) keeps its own.
            counterexamples = [d for d in (getattr(m, "data", None) for m in _failures(value))
                               if d]
            counterexample = counterexamples[0] if counterexamples else None
    elif item.check_notes:
        message = "\n".join(item.check_notes)  # a pass that has something to say: a line a note
    figures = dict(item.figures)
    # Mismatches: the differing records of the (shrunk) counterexample, not every failing
    # example hypothesis tried on the way.
    figures["mismatches"] = sum(len(c["differences"]) for c in counterexamples) \
        if counterexamples else (
        1 if outcome in ("failed", "error") and "mismatches" in figures
        and figures["mismatches"] else 0)
    return ItemResult(nodeid=item.nodeid, group=item.parent.name if item.parent else "",
                      check=item.check_name, backend=item.backend_name, outcome=outcome,
                      duration=round(report.duration, 4), figures=figures,
                      message=message, counterexample=counterexample,
                      counterexamples=counterexamples,
                      notes=list(item.notes))


def _failures(exc: BaseException) -> list[BaseException]:
    """The failure itself, or each member of the group hypothesis raises for several."""
    members = getattr(exc, "exceptions", None)
    if not isinstance(members, tuple) or getattr(exc, "data", None) is not None:
        return [exc]
    return [leaf for m in members if isinstance(m, BaseException) for leaf in _failures(m)]

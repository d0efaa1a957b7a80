"""`python -m pytest_dualwrite verify --url URL PATH::spec`: the command around `run`.

Exit 0 when the sides are equal, 1 when they differ (the differences printed as a failing
item prints them), 2 when the run could not be made (one line on stderr, password
masked). Progress goes to stderr, rewritten in place, only on a terminal and not on CI
(the same rule as the items' progress).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ..errors import ConfigError, DualWriteAssertion, DualWriteError
from ..progress import enabled
from ..report import ItemResult, Report, report_path_problem
from ..secrets import mask
from .readonly import DEFAULT_STATEMENT_TIMEOUT, Limits, engine_for, shown
from .run import DEFAULT_CHUNK_ROWS, Progress, VerifyResult, dualwrite_verify


def add_verify_command(commands: Any) -> None:
    """Register `verify` on the top-level parser's subcommands."""
    verify = commands.add_parser(
        "verify",
        help="compare a spec's old and new on a real database, read-only",
        description="Compare a spec's old and new projections on a live database, in key "
        "ranges, read-only. Exit 0 equal, 1 different, 2 could not run.",
    )
    verify.add_argument(
        "target", metavar="PATH::spec", help="the spec, as a test module path and its name"
    )
    verify.add_argument(
        "--url",
        required=True,
        help="the database: postgresql://user:password@host/db or sqlite:///file.db",
    )
    verify.add_argument(
        "--resume", metavar="FILE", help="keep the position here; given again, go on from it"
    )
    verify.add_argument(
        "--sample",
        metavar="P",
        type=_fraction,
        help="read only this fraction of the key ranges (0 < P <= 1)",
    )
    verify.add_argument("--seed", type=int, default=0, help="which ranges --sample picks")
    verify.add_argument(
        "--report", metavar="PATH", help="write the JSON report (the plugin's report shape)"
    )
    verify.add_argument(
        "--max-differences",
        metavar="N",
        type=_positive,
        default=20,
        help="show at most N differing keys (all are counted)",
    )
    verify.add_argument(
        "--chunk-rows",
        metavar="N",
        type=_positive,
        default=DEFAULT_CHUNK_ROWS,
        help="rows per key range and side",
    )
    verify.add_argument(
        "--statement-timeout",
        metavar="SECONDS",
        type=float,
        default=DEFAULT_STATEMENT_TIMEOUT,
        help="each statement's limit on the server",
    )
    verify.set_defaults(run=run_command)


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a fraction in (0, 1]")
    return value


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return int(text)


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def progress_line(p: Progress) -> str:
    chunks = f"{p.chunks}/~{p.chunks_estimated}" if p.chunks_estimated else f"{p.chunks}"
    return f"verify: {chunks} ranges, {p.rows:,} rows, {p.rate:,.0f} rows/s, ETA {_clock(p.eta)}"


class _Meter:
    """Draws the progress line on stderr, at most five times a second."""

    def __init__(self) -> None:
        self.shown = 0
        self.last = 0.0

    def __call__(self, p: Progress) -> None:
        now = time.monotonic()
        if now - self.last < 0.2:
            return
        self.last = now
        text = progress_line(p)
        sys.stderr.write("\r" + text.ljust(self.shown))
        sys.stderr.flush()
        self.shown = len(text)

    def close(self) -> None:
        if self.shown:
            sys.stderr.write("\r" + " " * self.shown + "\r")
            sys.stderr.flush()


def _report(
    engine: sa.Engine,
    path: Path,
    target: str,
    result: VerifyResult | None,
    backend: str,
    where: str,
    seconds: float,
    error: str | None,
) -> None:
    item = ItemResult(
        nodeid=target,
        group=target.rpartition("::")[2],
        check="verify",
        backend=backend,
        outcome="error",
        duration=seconds,
        message=error,
    )
    if result is not None:
        counts = result.comparison.counts
        item.outcome = "passed" if result.equal else "failed"
        item.message = None if result.equal else result.summary
        item.figures = {
            "records_verified": counts.old_rows,
            "mismatches": counts.differing_keys,
            "chunks": result.chunks,
            "chunks_read": result.chunks_read,
            "chunks_differing": result.chunks_differing,
            "chunks_skipped": result.chunks_skipped,
            "rows_read": result.rows,
        }
        item.notes = list(result.notes)
        if not result.equal:
            item.counterexample = {"operations": [], "differences": result.differences()}
    report = Report([item], {backend: where})
    version = engine.dialect.server_version_info
    if backend == "postgres" and version:
        report.servers[backend] = ".".join(str(v) for v in version)
    report.write(path)


def run_command(args: argparse.Namespace) -> int:
    from .load import load_spec

    report = Path(args.report) if args.report else None
    if report is not None and (problem := report_path_problem(report)) is not None:
        raise ConfigError(f"--report: {problem}")
    engine = engine_for(args.url)
    where, backend = shown(engine), engine.dialect.name.replace("postgresql", "postgres")
    begun = time.monotonic()
    meter = (
        _Meter()
        if enabled(isatty=sys.stderr.isatty(), verbosity=0, worker=False, env=os.environ)
        else None
    )
    result: VerifyResult | None = None
    try:
        spec, target = load_spec(args.target)
        result = dualwrite_verify(
            engine,
            spec,
            max_differences=args.max_differences,
            chunk_rows=args.chunk_rows,
            sample=args.sample,
            seed=args.seed,
            resume=args.resume,
            spec_id=target,
            limits=Limits(statement_timeout=args.statement_timeout),
            on_chunk=meter,
        )
    except KeyboardInterrupt:
        again = f"; run again with --resume {args.resume} to go on" if args.resume else ""
        raise DualWriteError(f"verify interrupted{again}") from None
    except Exception as exc:
        if report is not None:
            _report(
                engine,
                report,
                args.target,
                None,
                backend,
                where,
                time.monotonic() - begun,
                mask(str(exc)),
            )
        raise
    finally:
        if meter is not None:
            meter.close()
        engine.dispose()
    if report is not None:
        _report(engine, report, target, result, backend, where, time.monotonic() - begun, None)
    figures = (
        f"{result.chunks} key ranges ({result.chunks_read} read by this run, "
        f"{result.chunks_differing} differing), {result.rows:,} rows read in "
        f"{result.seconds:.1f} s; {where}"
    )
    if result.equal:
        print(f"{result.summary} ({result.comparison.counts.old_rows} rows each); {figures}")
    else:
        print(DualWriteAssertion(result.summary, [("differences", result.describe())]).render())
        print(figures)
    for note in result.notes:
        print(f"note: {note}")
    return 0 if result.equal else 1

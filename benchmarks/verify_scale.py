"""`verify` at 10^6 and 10^7 rows on the local Postgres (issue 17).

Per size, a database `dualwrite_bench_verify_<hex>` (created here, dropped at the end)
holds `bench_old(id, name, body, qty, created_at, active)` (primary key id) and
`bench_new(item_id, title, content, quantity, made_at, is_active)` (a plain index on
item_id, so a key can be duplicated), equal, then with planted differences: 10 changed
values (two fields of each type), 3 missing rows, 2 extra rows (one below and one above
every old key), 1 duplicate key. Then, alternating, `--rounds` times each:

verify:    `python -m pytest_dualwrite verify` as a child process; its wall time, its peak
           RSS (wait4), the differences it reports (--report), and every relation lock its
           sessions hold, polled from pg_locks every 20 ms while it runs.
copy scan: the compared columns of both tables read out (`COPY (SELECT ...) TO STDOUT`,
           bytes discarded): the cheapest way a client can read what it compares.
server scan: the same SELECTs run and discarded inside the server
           (`EXPLAIN (ANALYZE, TIMING OFF)`): a bare sequential scan, no client at all.

At the first size, also: a run with --resume killed (SIGKILL) halfway through, then resumed:
the answer, and how many ranges the resumed run read.

Run:  python benchmarks/verify_scale.py [--postgres-url URL] [--sizes 1000000,10000000]
      [--rounds 3]
Targets: exactly the planted differences; verify <= 2x the copy scan; time linear in rows;
peak RSS equal within 20% across sizes; no lock beyond AccessShareLock; resume re-reads at
most one range.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg

SPEC = """
from pytest_dualwrite import DualWrite

bench = DualWrite(old="bench_old", new="bench_new", key={"id": "item_id"},
                  columns={"name": "title", "body": "content", "qty": "quantity",
                           "created_at": "made_at", "active": "is_active"}, expand=1)
"""
OLD_COLS = "id, name, body, qty, created_at, active"
NEW_COLS = "item_id, title, content, quantity, made_at, is_active"


def build(dsn: str, rows: int) -> set[tuple[str, Any]]:
    """Both tables, the planted differences; returns them as (kind, key)."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE bench_old (id bigint PRIMARY KEY, name varchar(80) NOT NULL,"
            " body text, qty integer, created_at timestamptz, active boolean)"
        )
        conn.execute(
            f"INSERT INTO bench_old SELECT g, 'item ' || g, CASE WHEN g % 7 = 0 "
            f"THEN NULL ELSE md5(g::text) END, g % 1000, timestamptz '2024-01-01' + "
            f"g * interval '1 second', g % 3 = 0 FROM generate_series(1, {rows}) g"
        )
        conn.execute(
            "CREATE TABLE bench_new (item_id bigint NOT NULL, title text NOT NULL, "
            "content text, quantity bigint, made_at timestamptz, is_active boolean)"
        )
        conn.execute(f"INSERT INTO bench_new SELECT {OLD_COLS} FROM bench_old")
        conn.execute("CREATE INDEX bench_new_item_id ON bench_new (item_id)")
        step = rows // 20
        keys = [step * i + 11 for i in range(1, 17)]  # spread over the key space
        changed, missing, dup = keys[:10], keys[10:13], keys[13]
        sets = [
            "title = title || '!'",
            "content = NULL",
            "quantity = quantity + 1",
            "made_at = made_at + interval '1 microsecond'",
            "is_active = NOT is_active",
        ]
        for i, key in enumerate(changed):
            conn.execute(f"UPDATE bench_new SET {sets[i % len(sets)]} WHERE item_id = {key}")
        conn.execute(f"DELETE FROM bench_new WHERE item_id IN ({', '.join(map(str, missing))})")
        conn.execute(
            "INSERT INTO bench_new VALUES (-5, 'below', NULL, 1, now(), true), "
            f"({rows + 1000}, 'above', NULL, 1, now(), false)"
        )
        conn.execute(f"INSERT INTO bench_new SELECT * FROM bench_new WHERE item_id = {dup}")
        conn.execute("VACUUM ANALYZE bench_old")
        conn.execute("VACUUM ANALYZE bench_new")
    return (
        {("changed", k) for k in changed}
        | {("missing", k) for k in missing}
        | {("extra", -5), ("extra", rows + 1000), ("extra", dup), ("duplicate", dup)}
    )


class LockWatch(threading.Thread):
    """Every relation lock the other sessions of the database hold, polled."""

    def __init__(self, dsn: str, database: str) -> None:
        super().__init__(daemon=True)
        self.dsn, self.database = dsn, database
        self.modes: set[str] = set()
        self.polls = 0
        self.stop = threading.Event()

    def run(self) -> None:
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            while not self.stop.is_set():
                rows = conn.execute(
                    "SELECT l.mode FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                    "WHERE a.datname = %s AND l.pid <> pg_backend_pid() "
                    "AND l.locktype = 'relation'",
                    (self.database,),
                ).fetchall()
                self.modes.update(m for (m,) in rows)
                self.polls += 1
                time.sleep(0.02)


def run_verify(
    url: str, folder: Path, *extra: str, kill_after: int | None = None
) -> dict[str, Any]:
    report = folder / f"report-{uuid.uuid4().hex[:6]}.json"
    args = [
        sys.executable,
        "-m",
        "pytest_dualwrite",
        "verify",
        "--url",
        url,
        "tests/test_bench.py::bench",
        "--report",
        str(report),
        *extra,
    ]
    begun = time.perf_counter()
    child = subprocess.Popen(
        args,
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "DUALWRITE_PROGRESS": "0"},
    )
    killed_at = None
    if kill_after is not None:
        state = Path(extra[extra.index("--resume") + 1])
        while child.poll() is None:
            try:
                done = json.loads(state.read_text())["chunks"]
            except (OSError, ValueError, KeyError):
                done = 0
            if done >= kill_after:
                child.send_signal(signal.SIGKILL)
                break
            time.sleep(0.01)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - begun
    out, err = child.stdout.read().decode(), child.stderr.read().decode()  # type: ignore[union-attr]
    if kill_after is not None:
        killed_at = json.loads(state.read_text())["chunks"]
        return {"killed_at": killed_at, "status": status}
    document = json.loads(report.read_text())
    (item,) = document["items"]
    return {
        "seconds": seconds,
        "rss_mb": usage.ru_maxrss / 1024,
        "exit": os.waitstatus_to_exitcode(status),
        "found": {(d["kind"], d["key"]) for d in item["counterexample"]["differences"]}
        if item["counterexample"]
        else set(),
        "figures": item["figures"],
        "inside_s": item["duration"],
        "out": out,
        "err": err,
    }


def copy_scan(dsn: str) -> float:
    begun = time.perf_counter()
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        for table, cols in (("bench_old", OLD_COLS), ("bench_new", NEW_COLS)):
            with cur.copy(f"COPY (SELECT {cols} FROM {table}) TO STDOUT") as copy:
                for _ in copy:
                    pass
    return time.perf_counter() - begun


def server_scan(dsn: str) -> float:
    begun = time.perf_counter()
    with psycopg.connect(dsn) as conn:
        conn.execute("SET max_parallel_workers_per_gather = 0")  # as verify's ranges: 1 core
        for table, cols in (("bench_old", OLD_COLS), ("bench_new", NEW_COLS)):
            conn.execute(f"EXPLAIN (ANALYZE, TIMING OFF) SELECT {cols} FROM {table}").fetchall()
    return time.perf_counter() - begun


def measure(server: str, rows: int, rounds: int, resume: bool) -> dict[str, Any]:
    name = f"dualwrite_bench_verify_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    dsn = psycopg.conninfo.make_conninfo(server, dbname=name)
    url = (
        f"postgresql://{psycopg.conninfo.conninfo_to_dict(dsn).get('user', 'postgres')}@"
        f"{psycopg.conninfo.conninfo_to_dict(dsn).get('host', '127.0.0.1')}:"
        f"{psycopg.conninfo.conninfo_to_dict(dsn).get('port', 5432)}/{name}"
    )
    out: dict[str, Any] = {"rows": rows, "load_before": os.getloadavg()}
    try:
        t = time.perf_counter()
        planted = build(dsn, rows)
        out["build_s"] = time.perf_counter() - t
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            (folder / "tests").mkdir()
            (folder / "tests" / "test_bench.py").write_text(SPEC)
            verify_s, inside_s, copy_s, server_s, rss = [], [], [], [], []
            locks: set[str] = set()
            polls = 0
            for _ in range(rounds):
                copy_s.append(copy_scan(dsn))
                watch = LockWatch(dsn, name)
                watch.start()
                run = run_verify(url, folder)
                watch.stop.set()
                watch.join()
                locks |= watch.modes
                polls += watch.polls
                assert run["exit"] == 1, run["err"]
                assert run["found"] == planted, (run["found"] ^ planted, run["out"])
                verify_s.append(run["seconds"])
                inside_s.append(run["inside_s"])
                rss.append(run["rss_mb"])
                server_s.append(server_scan(dsn))
            out.update(
                verify_s=verify_s,
                inside_s=inside_s,
                copy_s=copy_s,
                server_s=server_s,
                rss_mb=rss,
                locks=sorted(locks),
                lock_polls=polls,
                figures=run["figures"],
                exactly_planted=True,
                out=run["out"],
            )
            if resume:
                state = folder / "resume.json"
                total = run["figures"]["chunks"]
                kill = run_verify(url, folder, "--resume", str(state), kill_after=total // 2)
                again = run_verify(url, folder, "--resume", str(state))
                out["resume"] = {
                    "total_ranges": total,
                    "done_when_killed": kill["killed_at"],
                    "read_after_resume": again["figures"]["chunks_read"],
                    "same_answer": again["found"] == planted,
                    "exit": again["exit"],
                }
    finally:
        out["load_after"] = os.getloadavg()
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "DUALWRITE_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
    )
    parser.add_argument("--sizes", default="1000000,10000000")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    server = args.postgres_url.replace("postgresql+psycopg://", "postgresql://")
    results = []
    for i, rows in enumerate(int(s) for s in args.sizes.split(",")):
        r = measure(server, rows, args.rounds, resume=i == 0)
        results.append(r)
        v, c, s = (statistics.median(r[k]) for k in ("verify_s", "copy_s", "server_s"))
        print(
            f"{rows:>10,} rows: verify {v:.2f} s (runs "
            f"{', '.join(f'{x:.2f}' for x in r['verify_s'])}),"
            f" of which after start-up {statistics.median(r['inside_s']):.2f} s,"
            f" copy scan {c:.2f} s, server scan {s:.2f} s; verify/copy {v / c:.2f}x, "
            f"verify/server {v / s:.2f}x; peak RSS {statistics.median(r['rss_mb']):.0f} MB "
            f"({', '.join(f'{x:.0f}' for x in r['rss_mb'])}); ranges {r['figures']['chunks']}; "
            f"relation locks seen {r['locks']} in {r['lock_polls']} polls; exactly the 16 "
            f"planted: {r['exactly_planted']}; build {r['build_s']:.0f} s; load "
            f"{r['load_before'][0]:.1f} -> {r['load_after'][0]:.1f}",
            flush=True,
        )
        if "resume" in r:
            print(f"{'':>10}  resume: {r['resume']}", flush=True)
    if len(results) > 1:
        a, b = results[0], results[-1]
        grow = statistics.median(b["verify_s"]) / statistics.median(a["verify_s"])
        scan_grow = statistics.median(b["copy_s"]) / statistics.median(a["copy_s"])
        rss = statistics.median(b["rss_mb"]) / statistics.median(a["rss_mb"])
        print(
            f"{b['rows'] // a['rows']}x the rows: verify {grow:.2f}x the time (copy scan "
            f"{scan_grow:.2f}x), peak RSS {rss:.2f}x"
        )
    print(results[0]["out"])


if __name__ == "__main__":
    main()

"""Dropping `dualwrite_*` databases fast, and knowing whose a leftover one is.

Fast: every `DROP DATABASE` makes the server wait for a checkpoint (about 2 s each on a
busy disk), and pytest-xdist interrupts a worker still busy 5 s after the run ends. Drops
on parallel connections share their checkpoints: ten take about as long as one.

Whose: each database carries its owner in a comment (`COMMENT ON DATABASE`): the host, the
boot, the pid and start time of the run's main process, and the run id. A later run drops a
leftover only when that process is provably gone: same host and boot, and the pid is not
running or is running a different process (another start time). Anything else is left
alone and reported.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

OWNER_TAG = "pytest-dualwrite"
PARALLEL_DROPS = 8


@dataclass(frozen=True)
class Owner:
    """The process a run's databases belong to: the pytest main process (xdist controller)."""

    run: str
    host: str
    boot: str | None
    pid: int
    start: str | None  # the process's start time as the kernel counts it (Linux)

    def comment(self) -> str:
        return json.dumps({"tool": OWNER_TAG, **asdict(self)}, sort_keys=True)

    @classmethod
    def from_comment(cls, text: str | None) -> Owner | None:
        """The owner a comment records, or None when it is not one of ours."""
        try:
            data = json.loads(text or "")
            if data.pop("tool") != OWNER_TAG:
                return None
            owner = cls(**data)
        except (ValueError, TypeError, KeyError, AttributeError):
            return None
        return owner if isinstance(owner.pid, int) and isinstance(owner.host, str) else None


def _read(path: str) -> str | None:
    try:
        return Path(path).read_text().strip()
    except OSError:
        return None


@lru_cache(maxsize=1)
def boot_id() -> str | None:
    """This boot of this machine (Linux); a pid recorded in another boot is gone."""
    return _read("/proc/sys/kernel/random/boot_id")


def process_start(pid: int) -> str | None:
    """When `pid` started, in clock ticks since boot (Linux), or None when unknown."""
    stat = _read(f"/proc/{pid}/stat")
    if stat is None:
        return None
    fields = stat.rpartition(")")[2].split()
    return fields[19] if len(fields) > 19 else None  # field 22 of stat(5)


def this_owner(run: str) -> Owner:
    pid = os.getpid()
    return Owner(run=run, host=socket.gethostname(), boot=boot_id(), pid=pid,
                 start=process_start(pid))


def owner_state(owner: Owner, here: Owner) -> str:
    """`gone` (provably), `running`, or `elsewhere` (another host or boot unknown)."""
    if owner.host != here.host:
        return "elsewhere"
    if owner.boot and here.boot:
        if owner.boot != here.boot:
            return "gone"  # same host, rebooted since: every process of that boot ended
    elif owner.boot != here.boot:
        return "elsewhere"  # one side cannot tell its boot: a container of the same name?
    try:
        os.kill(owner.pid, 0)
    except ProcessLookupError:
        return "gone"
    except PermissionError:
        pass  # exists, another user's
    except OSError:
        return "elsewhere"
    if owner.start is not None:
        now = process_start(owner.pid)
        if now is not None and now != owner.start:
            return "gone"  # the pid was reused by another process
    return "running"


@dataclass
class Leftovers:
    """Other runs' databases on the server, sorted by what may be done with them."""

    stale: list[str]  # owner provably gone: safe to drop
    elsewhere: list[str]  # owner on another host: cannot check, left alone
    unknown: list[str]  # no owner recorded (another tool, an older version): left alone


def classify(databases: Iterable[tuple[str, str | None]], *, here: Owner, protected: set[str],
             prefix: str) -> Leftovers:
    """Sort `(name, comment)` pairs; `protected` (the URL's own database, this run's, busy
    ones) and names without our prefix are never listed."""
    found = Leftovers([], [], [])
    for name, comment in databases:
        if not name.startswith(prefix) or name in protected:
            continue
        if name.startswith(f"{prefix}{here.run}_") or started(name, prefix) is None:
            continue  # this run's own, or not named by the plugin (`dualwrite_<run>_...`)
        owner = Owner.from_comment(comment)
        if owner is None:
            found.unknown.append(name)
            continue
        state = owner_state(owner, here)
        if state == "gone":
            found.stale.append(name)
        elif state == "elsewhere":
            found.elsewhere.append(name)
    return found


def started(name: str, prefix: str = "dualwrite_") -> float | None:
    """The start time a database name carries (`dualwrite_<8 hex: epoch><4 hex>_...`)."""
    run = name[len(prefix):].split("_", 1)[0]
    if len(run) != 12:
        return None
    try:
        return float(int(run[:8], 16))
    except ValueError:
        return None


def drop_in_parallel(names: list[str], drop: Callable[[str], None],
                     workers: int = PARALLEL_DROPS) -> list[str]:
    """Call `drop(name)` for every name on up to `workers` threads; the failures as lines."""
    problems: list[str] = []

    def one(name: str) -> None:
        try:
            drop(name)
        except Exception as exc:
            text = " ".join(str(exc).split()) or type(exc).__name__
            problems.append(f"{name}: {text.split(' [SQL:')[0]}")

    if len(names) <= 1 or workers <= 1:
        for name in names:
            one(name)
        return problems
    with ThreadPoolExecutor(max_workers=min(workers, len(names)),
                            thread_name_prefix="dualwrite-drop") as pool:
        list(pool.map(one, names))
    return sorted(problems)

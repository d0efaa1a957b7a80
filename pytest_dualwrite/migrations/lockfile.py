"""`migrations.lock`: a checksum per migration file, so an edit to a file that databases
have already applied is an error in later runs (files newer than the lock are fine)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from pathlib import Path

from ..errors import MigrationError
from .model import Migration
from .readers.text import read_text

LOCK_NAME = "migrations.lock"
_LOCK_LINE = re.compile(r"(?P<name>.+) (?P<digest>sha256:[0-9a-f]{64})")


def migration_files(migrations: Iterable[Migration]) -> list[Path]:
    """Every file the migrations were read from: ups, downs and stand-ins, by name."""
    names = _lock_names(migrations)
    return [names[name] for name in sorted(names)]


def _name(migration: Migration, path: Path) -> str:
    """A file's name in the lock: `up.sql` of a folder layout goes by `<folder>/up.sql`."""
    return f"{path.parent.name}/{path.name}" if migration.name else path.name


def file_digest(path: Path) -> str:
    """`sha256:<hex>` of the file, with CRLF read as LF so a Windows checkout still matches."""
    return "sha256:" + hashlib.sha256(path.read_bytes().replace(b"\r\n", b"\n")).hexdigest()


def _lock_names(migrations: Iterable[Migration]) -> dict[str, Path]:
    return {_name(m, s.path): s.path for m in migrations
            for s in (m.up, m.down, *m.stand_ins.values()) if s is not None}


def write_lock(folder: Path | str, migrations: Iterable[Migration]) -> Path:
    """Record every migration file's checksum in `migrations.lock`; return its path."""
    target = Path(folder) / LOCK_NAME
    names = _lock_names(migrations)
    lines = [f"{name} {file_digest(names[name])}" for name in sorted(names)]
    target.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return target


def check_lock(folder: Path | str, migrations: Iterable[Migration]) -> None:
    """Refuse a locked file that changed or vanished; files newer than the lock are fine."""
    root = Path(folder)
    lock_path = root / LOCK_NAME
    if not lock_path.is_file():
        return
    current = _lock_names(migrations)
    relock = f"re-run `python -m pytest_dualwrite lock {root}`"
    for name, digest in sorted(_read_lock(lock_path, relock).items()):
        # A file still there but no longer read (a down emptied out) counts as edited.
        path = current.get(name) or ((root / name) if (root / name).is_file() else None)
        if path is None:
            raise MigrationError(
                f"{root / name} is in {LOCK_NAME} but no longer in the folder: restore it "
                f"(applied migrations must stay); {relock} if removing it is intended"
            )
        if file_digest(path) != digest:
            raise MigrationError(
                f"{path} was edited after it was locked ({LOCK_NAME}): databases that "
                f"applied it will not see the change; revert it or add a new migration; "
                f"{relock} if the edit is intended"
            )


def _read_lock(lock_path: Path, relock: str) -> dict[str, str]:
    locked: dict[str, str] = {}
    for number, line in enumerate(read_text(lock_path).splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        m = _LOCK_LINE.fullmatch(line.strip())
        if m is None:
            raise MigrationError(
                f"{lock_path}:{number}: not a lock line (expected `<file> sha256:<hex>`); "
                f"{relock}"
            )
        locked[m["name"]] = m["digest"]
    return locked

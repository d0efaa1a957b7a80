"""Find the migrations in a folder, whatever tool wrote them, and refuse a folder that lies.

A history is only worth testing if it is the history that will run in production: no
file a tool would read differently, no two files fighting for a version, one naming
convention, no gap where the tool forbids one, and no edit to a file that has already
been applied somewhere (the lock file, or Atlas's `atlas.sum`). Each problem is one
`MigrationError` line naming the file and what to do about it.

Which files belong to which convention, and what each holds, is the readers' business
(`readers/`, one module a convention); this module asks them and checks what they found
as one history. It only reads names and text; splitting SQL into statements comes later.
It must not import pytest: the command line (`python -m pytest_dualwrite lock`) uses it.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterable
from itertools import combinations, pairwise
from pathlib import Path

from ..errors import MigrationError
from .lockfile import LOCK_NAME, check_lock, file_digest, migration_files, write_lock
from .model import Migration, SqlSource
from .readers import READERS, Claim, Group, History, Reader, expected_names
from .readers.atlas import ATLAS_SUM, atlas_hashes, atlas_sum, check_atlas_sum
from .readers.base import TIMESTAMP_MIN
from .readers.foreign import refuse_down_marker

FOLDER_SETTING = "dualwrite_migrations"
GAPS_SETTING = "dualwrite_allow_gaps"


def discover(
    folder: Path | str, *, allow_gaps: bool | None = None, lock: bool = True
) -> History:
    """The folder's migrations in the order they run, or a `MigrationError` saying why not.

    Gaps in the numbering follow the convention's own tool (Flyway, golang-migrate,
    dbmate, goose, sql-migrate and timestamps allow them; plain `NNN_x.sql` files do
    not); `allow_gaps=True` allows them anywhere, `False` refuses them anywhere.
    `lock=False` skips the lock and atlas.sum checks, for the command that rewrites the
    lock.
    """
    root = _existing_folder(Path(folder))
    for reader in READERS:
        whole = reader.read_folder(root)
        if whole is not None:
            return whole
    claims = [c for name in _entries(root) for c in _claims(root / name)]
    steps = [c for c in claims if c.role != "code"]
    if not steps:
        raise MigrationError(
            f"{root}: no migrations found (expected files like {expected_names()}); "
            f"check the {FOLDER_SETTING} setting"
        )
    main = _one_convention(root, [c for c in steps if c.dialect is None])
    groups = _group(steps)
    code = [c for c in claims if c.role == "code"]
    if allow_gaps is False or (allow_gaps is None and not main.allows_gaps):
        ups = [g.up for g in groups if g.up is not None and not g.up.repeatable]
        _check_numbering([*ups, *code])
    migrations = sorted((_migration(g) for g in groups), key=_order)
    if lock:
        if (root / LOCK_NAME).is_file():
            check_lock(root, migrations)
        if (root / ATLAS_SUM).is_file():
            check_atlas_sum(root)
    return History(migrations, convention=main.name,
                   notes=[c.reader.code_note(c) for c in code])


def _existing_folder(root: Path) -> Path:
    if root.is_symlink():
        try:
            root.resolve(strict=True)
        except RuntimeError:  # Python < 3.13 reports a loop this way
            raise _loop(root) from None
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise _loop(root) from None
    if not root.exists():
        raise MigrationError(
            f"migrations folder {root} does not exist; check the {FOLDER_SETTING} setting"
        )
    if not root.is_dir():
        raise MigrationError(
            f"migrations folder {root} is not a folder; point the {FOLDER_SETTING} setting "
            f"at the folder holding the migration files"
        )
    return root


def _loop(root: Path) -> MigrationError:
    return MigrationError(
        f"migrations folder {root} is a symbolic link loop (it leads back to itself); "
        f"point the {FOLDER_SETTING} setting at the real folder"
    )


def _entries(root: Path) -> list[str]:
    """The folder's entry names, sorted; one line when the folder cannot be listed."""
    try:
        with os.scandir(root) as entries:
            return sorted(entry.name for entry in entries)
    except OSError as exc:
        raise MigrationError(
            f"migrations folder {root} cannot be read ({exc.strerror or exc}); give the "
            f"user running pytest read access, or check the {FOLDER_SETTING} setting"
        ) from None


def _claims(path: Path) -> list[Claim]:
    """The first reader's claims on an entry; none for what is not a migration."""
    name = path.name
    if name.startswith((".", "__")) or name.upper().startswith("README"):
        return []
    try:
        for reader in READERS:
            claims = reader.claim(path)
            if claims is not None:
                return list(claims)
        unclaimed_step = name.endswith(".sql") or (name.endswith(".py") and name[0].isdigit())
        is_file = path.is_file()
    except OSError as exc:
        raise MigrationError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if unclaimed_step and is_file:
        raise MigrationError(
            f"{path}: file name fits no migration convention (expected {expected_names()}); "
            f"rename it, or move it out of the migrations folder"
        )
    return []  # migrations.lock, atlas.sum, notes, helper modules, other folders


def _order(m: Migration) -> tuple[bool, tuple[int, ...], str]:
    """Versioned steps by version, then Flyway repeatables by description (as Flyway does)."""
    return (m.repeatable, m.version, m.description if m.repeatable else "")


def _one_convention(root: Path, claims: Iterable[Claim]) -> Reader:
    """One convention per folder (Python steps join any but Flyway); return its reader."""
    first: dict[str, Claim] = {}
    for claim in claims:
        first.setdefault(claim.reader.name, claim)
    for a, b in combinations(first.values(), 2):
        readers = (a.reader, b.reader)
        python = [r for r in readers if r.name == "python"]
        if python and all(r.joins_python for r in readers):
            continue
        raise MigrationError(
            f"{root}: mixes migration conventions: {a.path} is {a.reader.label} but {b.path} "
            f"is {b.reader.label}; keep one convention per folder"
        )
    readers = [c.reader for c in first.values()]
    return next((r for r in readers if r.name != "python"), readers[0])


def _group(claims: list[Claim]) -> list[Group]:
    """Gather each version's files, refusing duplicates and orphans."""
    groups: dict[tuple[bool, tuple[int, ...], str], Group] = {}
    for claim in claims:
        group = groups.setdefault(claim.key, Group())
        if claim.dialect is not None:
            _take_slot(group.stand_ins.get(claim.stand_in_key), claim)
            group.stand_ins[claim.stand_in_key] = claim
        elif claim.role == "up":
            _take_slot(group.up, claim)
            group.up = claim
        else:
            _take_slot(group.down, claim)
            group.down = claim
    for group in groups.values():
        if group.up is None:
            orphan = group.down or next(iter(group.stand_ins.values()))
            raise MigrationError(
                f"{orphan.path}: {orphan.reader.orphan(orphan)}; add it, or remove this file")
    return list(groups.values())


def _take_slot(taken: Claim | None, claim: Claim) -> None:
    if taken is not None:
        raise MigrationError(
            f"duplicate migration version {claim.version_text}: {taken.path} and "
            f"{claim.path}; renumber one of them"
        )


def _check_numbering(claims: list[Claim]) -> None:
    """Non-timestamp versions start at 0 or 1 and have no holes (a file lost in a merge).

    A version held only by a file the plugin cannot run (a Flyway Java migration) counts
    as present: it fills its place in the numbering.
    """
    firsts: dict[int, Claim] = {}
    for claim in sorted(claims, key=lambda c: c.version):
        if claim.version[0] < TIMESTAMP_MIN:
            firsts.setdefault(claim.version[0], claim)
    numbers = sorted(firsts)
    if not numbers:
        return
    allow = f"set `{GAPS_SETTING} = true` in the pytest ini if the gap is intended"
    if numbers[0] > 1:
        c = firsts[numbers[0]]
        missing = c.reader.missing(c, 1, numbers[0] - 1)
        raise MigrationError(
            f"{c.path}: migration numbering starts at {c.version_text}, so {missing} is "
            f"missing (numbering starts at 0 or 1); add it, renumber, or {allow}"
        )
    for before, after in pairwise(numbers):
        if after > before + 1:
            c = firsts[after]
            missing = c.reader.missing(c, before + 1, after - 1)
            raise MigrationError(
                f"{c.path}: gap in migration numbering: {missing} is missing before "
                f"{c.path.name}; add it, renumber, or {allow}"
            )


def _migration(group: Group) -> Migration:
    """The group's reader builds the step; then no down marker may be left in an up."""
    assert group.up is not None
    reader = group.up.reader
    migration = reader.migration(group)
    ups = [migration.up, *(s for k, s in migration.stand_ins.items() if ":" not in k)]
    for source in ups:
        if isinstance(source, SqlSource):
            refuse_down_marker(source, reader.label)
    return migration


__all__ = [
    "ATLAS_SUM", "FOLDER_SETTING", "GAPS_SETTING", "LOCK_NAME", "TIMESTAMP_MIN", "History",
    "atlas_hashes", "atlas_sum", "check_atlas_sum", "check_lock", "discover", "file_digest",
    "migration_files", "write_lock",
]

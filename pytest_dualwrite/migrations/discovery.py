"""Find the migrations in a folder, whatever tool wrote them, and refuse a folder that lies.

A history is only worth testing if it is the history that will run in production: no lost
file (a gap), no two files fighting for a version, one naming convention, and no edit to
a file that has already been applied somewhere (the lock file, or Atlas's `atlas.sum`).
Each problem is one `MigrationError` line naming the file and what to do about it.

This module only reads file names and text; splitting SQL into statements happens later.
It must not import pytest: the command line (`python -m pytest_dualwrite lock`) uses it too.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import combinations, pairwise
from pathlib import Path
from types import ModuleType

from ..errors import MigrationError
from .model import DIALECT_ALIASES, Migration, PythonStep, SqlSource

LOCK_NAME = "migrations.lock"
ATLAS_SUM = "atlas.sum"
FOLDER_SETTING = "dualwrite_migrations"
GAPS_SETTING = "dualwrite_allow_gaps"
# A leading version of 12+ digits (YYYYMMDDhhmm...) is a timestamp: gaps are normal there.
TIMESTAMP_MIN = 10**11

_FLYWAY = re.compile(r"(?P<prefix>[VU])(?P<version>\d+(?:[._]\d+)*)__(?P<desc>.*)")
_REPEATABLE = re.compile(r"R__(?P<desc>.+)")
_PLAIN = re.compile(r"(?P<version>\d+)(?:_(?P<desc>.*))?")
_PYTHON = re.compile(r"(?P<version>\d+)(?:_(?P<desc>.*))?\.py")
# Section markers of single-file up/down tools: dbmate and goose.
_MARKERS = {
    "dbmate": re.compile(r"^[ \t]*--[ \t]*migrate:(up|down)\b[^\n]*$", re.M | re.I),
    "goose": re.compile(r"^[ \t]*--[ \t]*\+goose[ \t]+(up|down)\b[^\n]*$", re.M | re.I),
}
_MARKER_TEXT = {"dbmate": "-- migrate:{}", "goose": "-- +goose {}"}
_DROPS = re.compile(r"^[ \t]*--[ \t]*dualwrite:[ \t]*drops\b(?P<names>[^\n]*)$", re.M | re.I)
_COMMENTS = re.compile(r"--[^\n]*|/\*.*?\*/", re.S)
_LOCK_LINE = re.compile(r"(?P<name>.+) (?P<digest>sha256:[0-9a-f]{64})")
# Atlas's file directive, as its Go regexp reads it: the first line of the file only.
_ATLAS_DIRECTIVE = re.compile(r"([ -~]*)atlas:(\w+)(?: +(.+))*", re.ASCII)

_LABELS = {
    "flyway": "Flyway (V1__description.sql)",
    "updown": "up/down pairs (NNN_description.up.sql)",
    "plain": "numbered (NNN_description.sql)",
    "dbmate": "dbmate (-- migrate:up sections)",
    "goose": "goose (-- +goose Up sections)",
    "python": "a Python step (NNN_description.py)",
}
_EXPECTED_NAMES = (
    "NNN_description.sql, NNN_description.up.sql/.down.sql, V1__description.sql, "
    "20250109001424_description.sql or NNN_description.py"
)


@dataclass(frozen=True)
class _File:
    """What a file's name says about it, before its contents are read."""

    path: Path
    family: str  # "plain" | "updown" | "flyway" | "python"
    role: str  # "up" | "down"
    version: tuple[int, ...]
    version_text: str
    description: str
    dialect: str | None = None
    repeatable: bool = False

    @property
    def key(self) -> tuple[bool, tuple[int, ...], str]:
        """Files with the same key belong to one migration."""
        return (self.repeatable, self.version, self.description if self.repeatable else "")

    @property
    def stand_in_key(self) -> str:
        assert self.dialect is not None
        return self.dialect if self.role == "up" else f"{self.dialect}:down"


@dataclass
class _Group:
    """The files of one version: its up, its down and its per-dialect stand-ins."""

    up: _File | None = None
    down: _File | None = None
    stand_ins: dict[str, _File] = field(default_factory=dict)


# --- discovery ------------------------------------------------------------------------


def discover(
    folder: Path | str, *, allow_gaps: bool | None = None, lock: bool = True
) -> list[Migration]:
    """The folder's migrations in the order they run, or a `MigrationError` saying why not.

    `allow_gaps=True` skips the gap check; otherwise only versions below 12 digits are
    checked (timestamps have gaps by nature). `lock=False` skips the lock and atlas.sum
    checks, for the command that rewrites the lock.
    """
    root = _existing_folder(Path(folder))
    files = [f for path in sorted(root.iterdir()) if (f := _classify(path)) is not None]
    if not files:
        raise MigrationError(
            f"{root}: no migrations found (expected files like {_EXPECTED_NAMES}); "
            f"check the {FOLDER_SETTING} setting"
        )
    _check_one_convention(root, [(f.path, f.family) for f in files])
    groups = _group(files)
    if not allow_gaps:
        _check_numbering([g.up for g in groups if g.up is not None and not g.up.repeatable])
    built = [_migration(g) for g in groups]
    _check_one_convention(root, [(m.path, style) for m, style in built])
    migrations = sorted((m for m, _ in built), key=_order)
    if lock:
        if (root / LOCK_NAME).is_file():
            check_lock(root, migrations)
        if (root / ATLAS_SUM).is_file():
            check_atlas_sum(root)
    return migrations


def _existing_folder(root: Path) -> Path:
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


def _order(m: Migration) -> tuple[bool, tuple[int, ...], str]:
    """Versioned steps by version, then Flyway repeatables by description (as Flyway does)."""
    return (m.repeatable, m.version, m.description if m.repeatable else "")


def _classify(path: Path) -> _File | None:
    """Read a file name; None for files that are not migrations (README, lock, helpers)."""
    name = path.name
    if name.startswith((".", "__")) or name.upper().startswith("README") or path.is_dir():
        return None
    if name.endswith(".py"):
        m = _PYTHON.fullmatch(name)
        if m:
            return _File(path, "python", "up", (int(m["version"]),), m["version"],
                         m["desc"] or "")
        if name[0].isdigit():
            raise _bad_name(path)
        return None  # a helper module, not a step
    if not name.endswith(".sql"):
        return None  # migrations.lock, atlas.sum, atlas.hcl, notes...
    stem, role, dialect = _strip_suffixes(name[: -len(".sql")])
    if m := _REPEATABLE.fullmatch(stem):
        if role:
            raise _flyway_direction(path)
        return _File(path, "flyway", "up", (), f"R__{m['desc']}", m["desc"], dialect, True)
    if m := _FLYWAY.fullmatch(stem):
        if role:
            raise _flyway_direction(path)
        parts = tuple(int(p) for p in re.split(r"[._]", m["version"]))
        version = _trim_zeros(parts)  # Flyway: 1.0 is 1
        flyway_role = "up" if m["prefix"] == "V" else "down"
        return _File(path, "flyway", flyway_role, version, m["version"], m["desc"], dialect)
    if m := _PLAIN.fullmatch(stem):
        family = "updown" if role else "plain"
        return _File(path, family, role or "up", (int(m["version"]),), m["version"],
                     m["desc"] or "", dialect)
    raise _bad_name(path)


def _strip_suffixes(stem: str) -> tuple[str, str | None, str | None]:
    """Split `x.sqlite.up` (or `x.up.sqlite`) into the stem, the direction and the dialect."""
    role: str | None = None
    dialect: str | None = None
    for _ in range(2):
        head, dot, last = stem.rpartition(".")
        if not dot:
            break
        if role is None and last.lower() in ("up", "down"):
            role, stem = last.lower(), head
        elif dialect is None and last.lower() in DIALECT_ALIASES:
            dialect, stem = DIALECT_ALIASES[last.lower()], head
        else:
            break
    return stem, role, dialect


def _trim_zeros(parts: tuple[int, ...]) -> tuple[int, ...]:
    while len(parts) > 1 and parts[-1] == 0:
        parts = parts[:-1]
    return parts


def _bad_name(path: Path) -> MigrationError:
    return MigrationError(
        f"{path}: file name fits no migration convention (expected {_EXPECTED_NAMES}); "
        f"rename it, or move it out of the migrations folder"
    )


def _flyway_direction(path: Path) -> MigrationError:
    return MigrationError(
        f"{path}: Flyway file names have no .up/.down part; name the undo file "
        f"U<version>__description.sql instead"
    )


def _check_one_convention(root: Path, styles: Iterable[tuple[Path, str]]) -> None:
    """One convention per folder; Python steps share the numbering of any but Flyway."""
    first: dict[str, Path] = {}
    for path, style in styles:
        first.setdefault(style, path)
    for a, b in combinations(first, 2):
        if "python" in (a, b) and "flyway" not in (a, b):
            continue
        raise MigrationError(
            f"{root}: mixes migration conventions: {first[a]} is {_LABELS[a]} but {first[b]} "
            f"is {_LABELS[b]}; keep one convention per folder"
        )


def _group(files: list[_File]) -> list[_Group]:
    """Gather each version's files, refusing duplicates and orphans."""
    groups: dict[tuple[bool, tuple[int, ...], str], _Group] = {}
    for f in files:
        group = groups.setdefault(f.key, _Group())
        if f.dialect is not None:
            _take_slot(group.stand_ins.get(f.stand_in_key), f)
            group.stand_ins[f.stand_in_key] = f
        elif f.role == "up":
            _take_slot(group.up, f)
            group.up = f
        else:
            _take_slot(group.down, f)
            group.down = f
    for group in groups.values():
        _check_complete(group)
    return list(groups.values())


def _take_slot(taken: _File | None, f: _File) -> None:
    if taken is not None:
        raise MigrationError(
            f"duplicate migration version {f.version_text}: {taken.path} and {f.path}; "
            f"renumber one of them"
        )


def _check_complete(group: _Group) -> None:
    """Every down and stand-in needs the migration it belongs to."""
    up = group.up
    if up is None:
        orphan = group.down or next(iter(group.stand_ins.values()))
        if orphan.family == "updown" and orphan.role == "down":
            expected = re.sub(r"\.down\.sql$", ".up.sql", orphan.path.name)
            what = f"a down migration without its up migration ({expected})"
        elif orphan.family == "flyway" and orphan.role == "down":
            what = f"an undo migration without its V{orphan.version_text}__ migration"
        else:
            what = f"a per-dialect stand-in without a migration numbered {orphan.version_text}"
        raise MigrationError(f"{orphan.path}: {what}; add it, or remove this file")
    if up.family == "python" and group.stand_ins:
        stand_in = next(iter(group.stand_ins.values()))
        raise MigrationError(
            f"{stand_in.path}: a per-dialect SQL stand-in for the Python step {up.path.name}; "
            f"branch on the connection's dialect inside upgrade(conn) instead"
        )


def _check_numbering(ups: list[_File]) -> None:
    """Non-timestamp versions start at 0 or 1 and have no holes (a file lost in a merge)."""
    firsts: dict[int, _File] = {}
    for f in sorted(ups, key=lambda f: f.version):
        if f.version[0] < TIMESTAMP_MIN:
            firsts.setdefault(f.version[0], f)
    numbers = sorted(firsts)
    if not numbers:
        return
    allow = f"set `{GAPS_SETTING} = true` in the pytest ini if the gap is intended"
    if numbers[0] > 1:
        f = firsts[numbers[0]]
        missing = _missing(f, 1, numbers[0] - 1)
        raise MigrationError(
            f"{f.path}: migration numbering starts at {f.version_text}, so {missing} is "
            f"missing (numbering starts at 0 or 1); add it, renumber, or {allow}"
        )
    for before, after in pairwise(numbers):
        if after > before + 1:
            f = firsts[after]
            missing = _missing(f, before + 1, after - 1)
            raise MigrationError(
                f"{f.path}: gap in migration numbering: {missing} is missing before "
                f"{f.path.name}; add it, renumber, or {allow}"
            )


def _missing(f: _File, low: int, high: int) -> str:
    """`003` or `003 to 005`, zero-padded like the file after the gap (`V3` for Flyway)."""
    if f.family == "flyway":
        prefix, width = "V", 1
    else:
        prefix, width = "", len(f.version_text)
    low_text = f"{prefix}{low:0{width}d}"
    return low_text if low == high else f"{low_text} to {prefix}{high:0{width}d}"


# --- reading one migration ------------------------------------------------------------


def _migration(group: _Group) -> tuple[Migration, str]:
    """Read a version's files into a `Migration`, with the style its up file is written in."""
    up_file = group.up
    assert up_file is not None
    if up_file.family == "python":
        step, drops = _load_python(up_file.path)
        return Migration(
            up_file.version, up_file.version_text, up_file.description, "python", step,
            step if step.downgrade is not None else None, declared_drops=drops,
        ), "python"
    text = _read_text(up_file.path)
    style = up_file.family
    if up_file.family == "plain":
        up, down, preamble, style = _sections(up_file.path, text)
    else:
        up, down, preamble = SqlSource(up_file.path, text), None, ""
        if group.down is not None:
            down = _optional(SqlSource(group.down.path, _read_text(group.down.path)))
    if _is_blank(up.text):
        raise _empty(up)
    stand_ins: dict[str, SqlSource] = {}
    for key, f in sorted(group.stand_ins.items()):
        stand_ins.update(_stand_in(key, f))
    drops = _declared_drops(SqlSource(up.path, preamble)) | _declared_drops(up)
    return Migration(
        up_file.version, up_file.version_text, up_file.description,
        _convention(up_file, style), up, down, stand_ins, up_file.repeatable, drops,
    ), style


def _convention(f: _File, style: str) -> str:
    if style in ("plain", "goose"):
        return "timestamp" if f.version[0] >= TIMESTAMP_MIN else "numbered"
    return style


def _stand_in(key: str, f: _File) -> dict[str, SqlSource]:
    """A per-dialect file: `sqlite`, or `sqlite` and `sqlite:down` from a sectioned file."""
    text = _read_text(f.path)
    if key.endswith(":down"):
        down = _optional(SqlSource(f.path, text))
        return {key: down} if down is not None else {}
    up, down = SqlSource(f.path, text), None
    if f.family == "plain":
        up, down, _, _ = _sections(f.path, text)
    if _is_blank(up.text):
        raise _empty(up)
    return {key: up, f"{key}:down": down} if down is not None else {key: up}


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MigrationError(
            f"{path}: not UTF-8 text (byte {exc.start}); save the file as UTF-8"
        ) from None
    except OSError as exc:
        raise MigrationError(f"{path}: cannot be read ({exc.strerror})") from None


def _sections(path: Path, text: str) -> tuple[SqlSource, SqlSource | None, str, str]:
    """Split a dbmate/goose file into its up and down sections; a plain file is all up.

    Returns (up, down, preamble before the first marker, style).
    """
    style, marks = _markers(text)
    if not marks:
        return SqlSource(path, text), None, "", "plain"
    by_role: dict[str, re.Match[str]] = {}
    for mark in marks:
        role = mark[1].lower()
        if role in by_role:
            raise MigrationError(
                f"{path}:{_line_of(text, mark.start())}: a second "
                f"`{_MARKER_TEXT[style].format(role)}` line; keep one per file"
            )
        by_role[role] = mark
    up_mark, down_mark = by_role.get("up"), by_role.get("down")
    if up_mark is None:
        assert down_mark is not None
        raise MigrationError(
            f"{path}:{_line_of(text, down_mark.start())}: has "
            f"`{_MARKER_TEXT[style].format('down')}` but no `{_MARKER_TEXT[style].format('up')}`;"
            f" add `{_MARKER_TEXT[style].format('up')}` above the up SQL"
        )
    if down_mark is not None and down_mark.start() < up_mark.start():
        raise MigrationError(
            f"{path}:{_line_of(text, down_mark.start())}: the down section comes before "
            f"`{_MARKER_TEXT[style].format('up')}`; put the up section first"
        )
    up_end = down_mark.start() if down_mark is not None else len(text)
    up = _section(path, text, up_mark, up_end)
    down = _optional(_section(path, text, down_mark, len(text))) if down_mark else None
    return up, down, text[: up_mark.start()], style


def _markers(text: str) -> tuple[str, list[re.Match[str]]]:
    """The section markers of the first tool whose markers the file uses."""
    for style, pattern in _MARKERS.items():
        marks = list(pattern.finditer(text))
        if marks:
            return style, marks
    return "plain", []


def _section(path: Path, text: str, mark: re.Match[str], end: int) -> SqlSource:
    """The text after a marker line, with the 1-based line it starts on."""
    start = min(mark.end() + 1, len(text))
    return SqlSource(path, text[start:end], _line_of(text, start))


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _is_blank(sql: str) -> bool:
    """True when nothing but whitespace and comments is left: nothing would run."""
    return not _COMMENTS.sub("", sql).strip()


def _optional(down: SqlSource) -> SqlSource | None:
    """An empty down (the template `migrate create` or `dbmate new` leaves) means no down."""
    return None if _is_blank(down.text) else down


def _empty(source: SqlSource) -> MigrationError:
    if source.first_line > 1:
        return MigrationError(
            f"{source.path}:{source.first_line}: the up section is empty (no SQL, only "
            f"whitespace or comments); write its SQL or delete the file"
        )
    return MigrationError(
        f"{source.path}: empty migration (no SQL, only whitespace or comments); "
        f"write its SQL or delete the file"
    )


def _declared_drops(source: SqlSource) -> frozenset[str]:
    """`-- dualwrite: drops t.c, t2` lines: the losses this step means to cause."""
    names: set[str] = set()
    for m in _DROPS.finditer(source.text):
        found = _drop_names(m["names"])
        if not found:
            line = source.first_line + source.text.count("\n", 0, m.start())
            raise MigrationError(
                f"{source.path}:{line}: `-- dualwrite: drops` names nothing; write "
                f"`-- dualwrite: drops table` or `-- dualwrite: drops table.column`"
            )
        names |= found
    return frozenset(names)


def _drop_names(text: str) -> set[str]:
    return {n.strip("\"`'").lower() for n in re.split(r"[\s,]+", text) if n.strip("\"`'")}


def _load_python(path: Path) -> tuple[PythonStep, frozenset[str]]:
    """Import a `NNN_desc.py` step from its path (digits cannot start a module name)."""
    module = _import_file(path)
    upgrade = getattr(module, "upgrade", None)
    if not callable(upgrade):
        raise MigrationError(
            f"{path}: defines no callable upgrade(conn); add `def upgrade(conn): ...`"
        )
    downgrade = getattr(module, "downgrade", None)
    if downgrade is not None and not callable(downgrade):
        raise MigrationError(f"{path}: downgrade is not a function; define `def downgrade(conn)`")
    raw = getattr(module, "DUALWRITE_DROPS", ())
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, (list, tuple, set, frozenset)) or not all(
        isinstance(n, str) for n in raw
    ):
        raise MigrationError(
            f'{path}: DUALWRITE_DROPS must be a list of "table" or "table.column" strings'
        )
    drops = frozenset(name for item in raw for name in _drop_names(item))
    return PythonStep(path, upgrade, downgrade), drops


def _import_file(path: Path) -> ModuleType:
    digest = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:12]
    name = f"_dualwrite_migration_{digest}_{re.sub(r'[^0-9A-Za-z_]', '_', path.stem)}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise MigrationError(f"{path}: cannot be imported as a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as exc:
        sys.modules.pop(name, None)
        raise MigrationError(f"{path}: failed to import: {_one_line(exc)}") from None
    return module


def _one_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


# --- lock file ------------------------------------------------------------------------


def migration_files(migrations: Iterable[Migration]) -> list[Path]:
    """Every file the migrations were read from: ups, downs and stand-ins, by name."""
    paths: dict[str, Path] = {}
    for m in migrations:
        sources = [m.up, m.down, *m.stand_ins.values()]
        for source in sources:
            if source is not None:
                paths.setdefault(source.path.name, source.path)
    return [paths[name] for name in sorted(paths)]


def file_digest(path: Path) -> str:
    """`sha256:<hex>` of the file, with CRLF read as LF so a Windows checkout still matches."""
    return "sha256:" + hashlib.sha256(path.read_bytes().replace(b"\r\n", b"\n")).hexdigest()


def write_lock(folder: Path | str, migrations: Iterable[Migration]) -> Path:
    """Record every migration file's checksum in `migrations.lock`; return its path."""
    target = Path(folder) / LOCK_NAME
    lines = [f"{p.name} {file_digest(p)}" for p in migration_files(migrations)]
    target.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return target


def check_lock(folder: Path | str, migrations: Iterable[Migration]) -> None:
    """Refuse a locked file that changed or vanished; files newer than the lock are fine."""
    root = Path(folder)
    lock_path = root / LOCK_NAME
    if not lock_path.is_file():
        return
    current = {p.name: p for p in migration_files(migrations)}
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
    for number, line in enumerate(_read_text(lock_path).splitlines(), start=1):
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


# --- Atlas atlas.sum ------------------------------------------------------------------


def atlas_hashes(folder: Path | str) -> list[tuple[str, str]]:
    """(file name, hash) as Atlas computes them for every `*.sql` file of the folder.

    Atlas chains the hashes: one SHA-256 runs over the files in name order, taking each
    file's name and then its bytes, and a file's hash is the base64 of that running digest
    after its bytes. A file whose first line is an `atlas:sum ignore` directive feeds only
    its name and gets no entry.
    """
    running = hashlib.sha256()
    hashes: list[tuple[str, str]] = []
    paths = [p for p in Path(folder).iterdir() if p.name.endswith(".sql") and p.is_file()]
    for path in sorted(paths, key=lambda p: p.name):
        data = path.read_bytes()
        running.update(path.name.encode())
        directive = _ATLAS_DIRECTIVE.match(data.decode("utf-8", "replace"))
        if directive and directive[2] == "sum" and directive[3] == "ignore":
            continue
        running.update(data)
        hashes.append((path.name, base64.b64encode(running.digest()).decode()))
    return hashes


def _atlas_total(hashes: Iterable[tuple[str, str]]) -> str:
    """The `h1:` first line: SHA-256 over every listed name and hash, in order."""
    total = hashlib.sha256()
    for name, digest in hashes:
        total.update(name.encode())
        total.update(digest.encode())
    return base64.b64encode(total.digest()).decode()


def atlas_sum(folder: Path | str) -> str:
    """The text `atlas migrate hash` would write to the folder's atlas.sum."""
    hashes = atlas_hashes(folder)
    lines = "".join(f"{name} h1:{digest}\n" for name, digest in hashes)
    return f"h1:{_atlas_total(hashes)}\n{lines}"


def check_atlas_sum(folder: Path | str) -> None:
    """Refuse what `atlas migrate apply` refuses: an edited, added or removed file."""
    root = Path(folder)
    sum_path = root / ATLAS_SUM
    rehash = f"run `atlas migrate hash --dir file://{root}`"
    recorded = _read_atlas_sum(sum_path, rehash)
    current = atlas_hashes(root)
    recorded_names = {name for name, _ in recorded}
    current_names = {name for name, _ in current}
    for i in range(max(len(recorded), len(current))):
        old = recorded[i] if i < len(recorded) else None
        new = current[i] if i < len(current) else None
        if old == new:
            continue
        if new is not None and new[0] not in recorded_names:
            raise MigrationError(
                f"{root / new[0]} is not in {ATLAS_SUM} (Atlas refuses an unhashed folder); "
                f"{rehash} to record it"
            )
        if old is not None and old[0] not in current_names:
            raise MigrationError(
                f"{root / old[0]} is in {ATLAS_SUM} but no longer in the folder: restore it, "
                f"or {rehash} if removing it is intended"
            )
        name = (new or old or ("?", ""))[0]
        raise MigrationError(
            f"{root / name} was edited after {ATLAS_SUM} was written: its hash no longer "
            f"matches; revert it or add a new migration; {rehash} if the edit is intended"
        )


def _read_atlas_sum(sum_path: Path, rehash: str) -> list[tuple[str, str]]:
    """The entries of an atlas.sum, after checking its own first-line checksum."""
    lines = [line.rstrip("\r") for line in _read_text(sum_path).split("\n")]
    if lines and lines[-1] == "":
        lines.pop()
    if not lines or not lines[0].startswith("h1:"):
        raise MigrationError(f"{sum_path}:1: expected an `h1:` checksum line; {rehash}")
    entries: list[tuple[str, str]] = []
    for number, line in enumerate(lines[1:], start=2):
        name, sep, digest = line.partition("h1:")
        if not sep:
            raise MigrationError(
                f"{sum_path}:{number}: not an atlas.sum line (expected `<file> h1:<hash>`); "
                f"{rehash}"
            )
        entries.append((name.strip(), digest))
    if lines[0][len("h1:"):] != _atlas_total(entries):
        raise MigrationError(
            f"{sum_path}: its h1: checksum does not match the lines below it (edited by "
            f"hand?); {rehash}"
        )
    return entries

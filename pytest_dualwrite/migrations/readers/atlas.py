"""Atlas: `<version>[_name].sql` files beside an `atlas.sum` that `atlas migrate apply`
checks before it runs anything (an edited, added or removed file is refused).

Atlas versions are usually timestamps and gaps are normal.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable
from pathlib import Path

from ...errors import MigrationError
from .files import NumberedSqlReader
from .text import read_text

ATLAS_SUM = "atlas.sum"
# Atlas's file directive, as its Go regexp reads it: the first line of the file only.
_DIRECTIVE = re.compile(r"([ -~]*)atlas:(\w+)(?: +(.+))*", re.ASCII)


class AtlasReader(NumberedSqlReader):
    name = "atlas"
    label = "Atlas (timestamped files with atlas.sum)"
    example = "20250109001424_description.sql beside atlas.sum"

    def sniff(self, path: Path) -> str | bool:
        return (path.parent / ATLAS_SUM).is_file()


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
        directive = _DIRECTIVE.match(data.decode("utf-8", "replace"))
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
    rehash = f"run `atlas migrate hash --dir file://{root}`"
    recorded = _read_atlas_sum(root / ATLAS_SUM, rehash)
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
    lines = [line.rstrip("\r") for line in read_text(sum_path).split("\n")]
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

"""Readers of `NNN_description[.dialect][.up|.down].sql` files: one base, told apart by
whether the direction is in the name (golang-migrate pairs) or inside the file (dbmate,
goose and sql-migrate markers), or by a file beside them (Atlas's atlas.sum)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

from .base import TIMESTAMP_MIN, Claim, Reader
from .text import read_text, strip_suffixes

_NUMBERED = re.compile(r"(?P<version>\d+)(?:_(?P<desc>.*))?")


def parse_numbered(path: Path) -> tuple[re.Match[str], str | None, str | None] | None:
    """(name match, direction, dialect) of a `NNN_x[.dialect][.up|.down].sql` file."""
    if not path.name.endswith(".sql") or path.is_dir():
        return None
    stem, role, dialect = strip_suffixes(path.name[: -len(".sql")])
    m = _NUMBERED.fullmatch(stem)
    return (m, role, dialect) if m else None


class NumberedSqlReader(Reader):
    """Files named NNN_description.sql (or .up.sql/.down.sql when `paired`)."""

    paired: ClassVar[bool] = False
    example = "NNN_description.sql"

    def claim(self, path: Path) -> Sequence[Claim] | None:
        parsed = parse_numbered(path)
        if parsed is None:
            return None
        m, role, dialect = parsed
        if (role is not None) != self.paired:
            return None
        text = self.sniff(path)
        if text is False:
            return None
        return [Claim(path, self, role or "up", (int(m["version"]),), m["version"],
                      m["desc"] or "", dialect,
                      text=text if isinstance(text, str) else None)]

    def sniff(self, path: Path) -> str | bool:
        """The file's text if reading it decided the claim, True to claim unread, False
        to leave the file to another reader."""
        return True


class NumberedReader(NumberedSqlReader):
    """One file a step, no tool named: numbered (gaps are an error) or timestamped."""

    name = "numbered"
    label = "numbered (NNN_description.sql)"
    allows_gaps = False  # our own rule: a hole in 001, 002, 004 is a file lost in a merge

    def convention(self, up: Claim) -> str:
        return "timestamp" if up.version[0] >= TIMESTAMP_MIN else "numbered"


class MarkerReader(NumberedSqlReader):
    """One file holding both directions between a tool's marker lines."""

    # Any line that looks like one of the tool's markers, in any case or indentation:
    # the file is then the tool's, and `sections` says exactly what the tool reads.
    looks_like: ClassVar[re.Pattern[str]]

    def sniff(self, path: Path) -> str | bool:
        text = read_text(path)
        return text if self.looks_like.search(text) else False

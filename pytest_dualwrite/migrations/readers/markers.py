"""What the readers of one-file-both-directions tools (dbmate, goose, sql-migrate) share:
where a marker line ends, and one-line refusals that name the file and line."""

from __future__ import annotations

from pathlib import Path

from ...errors import MigrationError
from .text import line_of


def after_line(text: str, offset: int) -> int:
    """The offset just past the line that holds `offset` (a marker line)."""
    end = text.find("\n", offset)
    return len(text) if end < 0 else end + 1


def line_text(text: str, offset: int) -> str:
    start = text.rfind("\n", 0, offset) + 1
    end = text.find("\n", offset)
    return text[start: len(text) if end < 0 else end].strip()


def refuse_at(path: Path, text: str, offset: int, what: str) -> MigrationError:
    return MigrationError(f"{path}:{line_of(text, offset)}: {what}")


def first_statement(text: str, start: int, end: int) -> int | None:
    """The offset of the first line in [start, end) that is neither blank nor a `--`
    comment: what dbmate and goose refuse before their first up marker."""
    offset = start
    for line in text[start:end].split("\n"):
        stripped = line.strip()
        if stripped and not stripped.startswith("--"):
            return offset
        offset += len(line) + 1
    return None

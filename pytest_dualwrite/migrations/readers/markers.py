"""What the readers of one-file-both-directions tools (dbmate, goose, sql-migrate) share:
where a marker line ends, one-line refusals that name the file and line, and the
statement splitting goose and sql-migrate do themselves (a line ending in `;` ends a
statement unless StatementBegin/StatementEnd say otherwise)."""

from __future__ import annotations

import re
from collections.abc import Callable
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


_DOLLAR = re.compile(r"\$(?:[A-Za-z_][A-Za-z_0-9]*)?\$")


def ends_statement(line: str) -> bool:
    """goose's and sql-migrate's `endsWithSemicolon`: the last word before a `--` word
    ends in `;`."""
    words: list[str] = []
    for word in line.split():
        if word.startswith("--"):
            break
        words.append(word)
    return bool(words) and words[-1].endswith(";")


def cut_body(path: Path, text: str, spans: list[tuple[int, int]],
             begin: Callable[[str], bool], end: Callable[[str], bool], tool: str,
             prefix: str) -> None:
    """Refuse a `$$` body that a tool ending each statement at a line ending in `;`
    (outside its StatementBegin/StatementEnd) would send to the server cut in two."""
    for low, high in spans:
        offset, in_block, tag, opened = low, False, None, low
        for line in text[low:high].split("\n"):
            if begin(line):
                in_block = True
            elif end(line):
                in_block = False
            else:
                for m in _DOLLAR.finditer(line):
                    if tag is None:
                        tag, opened = m.group(), offset
                    elif m.group() == tag:
                        tag = None
                if tag is not None and not in_block and ends_statement(line):
                    raise refuse_at(path, text, offset, (
                        f"{tool} ends a statement at this line (it ends in `;`), inside the "
                        f"{tag} body opened at line {line_of(text, opened)}, so the server "
                        f"gets it cut in two; wrap the statement in `{prefix} StatementBegin`"
                        f" / `{prefix} StatementEnd`"))
            offset += len(line) + 1

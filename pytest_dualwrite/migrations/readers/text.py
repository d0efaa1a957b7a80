"""Reading migration files as text: what every reader of SQL files shares.

One-line errors name the file (and line); nothing here knows any tool's naming.
"""

from __future__ import annotations

import re
from pathlib import Path

from ...errors import MigrationError
from ..model import DIALECT_ALIASES, SqlSource

_DROPS = {
    comment: re.compile(rf"^[ \t]*{re.escape(comment)}[ \t]*dualwrite:[ \t]*drops\b"
                        r"(?P<names>[^\n]*)$", re.M | re.I)
    for comment in ("--", "#")  # SQL files; Python files (an Alembic revision)
}
_COMMENTS = re.compile(r"--[^\n]*|/\*.*?\*/", re.S)


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MigrationError(
            f"{path}: not UTF-8 text (byte {exc.start}); save the file as UTF-8"
        ) from None
    except OSError as exc:
        raise MigrationError(f"{path}: cannot be read ({exc.strerror or exc})") from None


def line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def is_blank(sql: str) -> bool:
    """True when nothing but whitespace and comments is left: nothing would run."""
    return not _COMMENTS.sub("", sql).strip()


def optional(down: SqlSource) -> SqlSource | None:
    """An empty down (the template `migrate create` or `dbmate new` leaves) means no down."""
    return None if is_blank(down.text) else down


def empty_error(source: SqlSource) -> MigrationError:
    if source.first_line > 1:
        return MigrationError(
            f"{source.path}:{source.first_line}: the up section is empty (no SQL, only "
            f"whitespace or comments); write its SQL or delete the file"
        )
    return MigrationError(
        f"{source.path}: empty migration (no SQL, only whitespace or comments); "
        f"write its SQL or delete the file"
    )


def declared_drops(source: SqlSource, comment: str = "--") -> frozenset[str]:
    """`-- dualwrite: drops t.c, t2` lines (`#` in a Python file): the losses this step
    means to cause."""
    names: set[str] = set()
    for m in _DROPS[comment].finditer(source.text):
        found = drop_names(m["names"])
        if not found:
            line = source.first_line + source.text.count("\n", 0, m.start())
            raise MigrationError(
                f"{source.path}:{line}: `{comment} dualwrite: drops` names nothing; write "
                f"`{comment} dualwrite: drops table` or `{comment} dualwrite: drops "
                f"table.column`"
            )
        names |= found
    return frozenset(names)


def drop_names(text: str) -> set[str]:
    return {n.strip("\"`'").lower() for n in re.split(r"[\s,]+", text) if n.strip("\"`'")}


def strip_suffixes(stem: str) -> tuple[str, str | None, str | None]:
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


def masked(text: str, keep: list[tuple[int, int]]) -> tuple[str, int]:
    """The text from the first kept span to the end of the last, with everything between
    the spans blanked (newlines kept), and the 1-based line it starts on.

    One direction of a file whose up and down sections alternate (dbmate, sql-migrate)
    is one `SqlSource` whose statements still point at their real lines.
    """
    if not keep:
        return "", 1
    start = keep[0][0]
    parts: list[str] = []
    position = start
    for low, high in keep:
        parts.append(re.sub(r"[^\n]", "", text[position:low]))
        parts.append(text[low:high])
        position = high
    return "".join(parts), line_of(text, start)

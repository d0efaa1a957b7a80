"""Never run a down as an up: the down markers of every tool we know of, read or not.

A reader removes its own tool's down section from the up. Any down marker still in an up
is one the reader did not understand (another tool's, or its own tool's spelled so that
the tool would not see it either), and the SQL below it would run as part of the up.
"""

from __future__ import annotations

import re

from ...errors import MigrationError
from ..model import SqlSource
from .markers import line_text

_LINE = re.M | re.I
DOWN_MARKERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("dbmate", re.compile(r"^[ \t]*--[ \t]*migrate:down\b", _LINE)),
    ("goose", re.compile(r"^[ \t]*--.*\+goose[ \t]+down\b", _LINE)),
    ("sql-migrate", re.compile(r"^[ \t]*--[ \t]*\+migrate[ \t]+down\b", _LINE)),
    ("micrate", re.compile(r"^[ \t]*--[ \t]*\+micrate[ \t]+down\b", _LINE)),
    ("tern", re.compile(r"^[ \t]*-{3,}[ \t]*create above[ \t]*/[ \t]*drop below\b", _LINE)),
    ("node-pg-migrate", re.compile(r"^[ \t]*--[ \t]*down migration[ \t]*$", _LINE)),
    ("MyBatis Migrations", re.compile(r"^[ \t]*--[ \t]*//[ \t]*@undo\b", _LINE)),
    ("Play evolutions", re.compile(r"^[ \t]*(?:#[ \t]*-+|--)[ \t]*!downs\b", _LINE)),
    ("shmig", re.compile(r"^[ \t]*--[ \t]*=+[ \t]*down[ \t]*=+", _LINE)),
)


def refuse_down_marker(source: SqlSource, label: str) -> None:
    """Raise a one-line MigrationError if `source` (an up) holds any tool's down marker."""
    for tool, pattern in DOWN_MARKERS:
        m = pattern.search(source.text)
        if m is None:
            continue
        line = source.first_line + source.text.count("\n", 0, m.start())
        raise MigrationError(
            f"{source.path}:{line}: `{line_text(source.text, m.start())}` is a down marker "
            f"({tool}) that the file's convention, {label}, does not read here: the SQL "
            f"below it would run as part of the up; split the down into its own file, or "
            f"write the marker the way the tool reads it")

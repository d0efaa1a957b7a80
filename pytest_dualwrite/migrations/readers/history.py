"""What discovery returns: the migrations in the order they run, and what it must say."""

from __future__ import annotations

from collections.abc import Iterable

from ..model import Migration


class History(list[Migration]):
    """The steps of a history, in order (a list, so every caller can keep using one).

    `convention` names the reader that read it; `notes` are the one-line things the
    plugin must say without failing (a Flyway Java migration it cannot run).
    """

    def __init__(self, migrations: Iterable[Migration] = (), *, convention: str = "",
                 notes: Iterable[str] = ()) -> None:
        super().__init__(migrations)
        self.convention = convention
        self.notes = tuple(notes)

"""What discovery returns: the migrations in the order they run, and what it must say."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..model import Migration

if TYPE_CHECKING:
    from ..static import StaticSource


class History(list[Migration]):
    """The steps of a history, in order (a list, so every caller can keep using one).

    `convention` names the reader that read it; `notes` are the one-line things the
    plugin must say without failing (a Flyway Java migration it cannot run).
    `static_source`, for a history whose steps are code, writes the SQL the static fold
    reads (Alembic's offline mode); None means the SQL files themselves.
    """

    def __init__(self, migrations: Iterable[Migration] = (), *, convention: str = "",
                 notes: Iterable[str] = (), static_source: StaticSource | None = None) -> None:
        super().__init__(migrations)
        self.convention = convention
        self.notes = tuple(notes)
        self.static_source = static_source

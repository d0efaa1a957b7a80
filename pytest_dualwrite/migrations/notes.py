"""What an item's result lists about the migrations on its backend.

Migration checks list every statement their backend skipped (SQLite cannot run a trigger,
a grant, a DO block...) or ran without sqlglot reading it. A spec lists, as "partial", the
skipped statements that change rows of its own tables: its result on that backend holds
without what they would have done.
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp
from sqlglot.errors import SqlglotError

from ..errors import DualWriteError
from .splitter import quiet_sqlglot


def item_notes(session: Any, backend: str, spec: Any = None) -> list[str]:
    """Notes for one item: of the migration checks (`spec` None) or of a spec's item."""
    if backend == "static":
        return []
    try:
        runner = session.runner(backend)
        if runner.migrations:  # prepares every up, in history order, once per run
            runner.statements(runner.migrations[-1], "up")
    except DualWriteError:
        return []  # the item that prepares them fails with it
    context = runner.context
    notes = context.listed if context is not None else []
    if spec is None:
        return [_with_tables(n) for n in notes]
    tables = spec_tables(spec)
    return [f"partial on {n.target}: {_with_tables(n)}" for n in notes
            if n.lossy and tables.intersection(n.tables)]


def spec_tables(spec: Any) -> set[str]:
    """The tables a spec reads and writes: `old` and `new` by name, or named in their SELECT."""
    tables = {t for t in (spec.old_table, spec.new_table) if t}
    for side in (spec.old, spec.new):
        if isinstance(side, str) and side.lower() not in tables:
            try:
                with quiet_sqlglot():
                    tree = exp.maybe_parse(side, dialect="postgres")
            except SqlglotError:
                continue
            tables.update(t.name.lower() for t in tree.find_all(exp.Table))
    return tables


def _with_tables(note: Any) -> str:
    touches = f" (touches {', '.join(note.tables)})" if note.tables else ""
    return f"{note}{touches}"

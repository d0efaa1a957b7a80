"""Differences as a plain-text table a person reads in seconds.

    models vs migrations (sqlite): 2 differences

    table | object         | expected     | actual
    ------+----------------+--------------+-------------
    users | type email     | varchar(100) | varchar(255)
    users | unique (email) | absent       | present

    notes:
    - users: type email: compared by storage class: sqlite keeps declared type text
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .diff import Difference

HEADER = ("table", "object", "expected", "actual")


def render(differences: Sequence[Difference], *, expected: str = "expected",
           actual: str = "actual", backend: str | None = None,
           notes: Iterable[str] = (), title: str | None = None) -> str:
    """A title line, the table (when there is something to show), then the notes.

    The title is `title`, or "<expected> vs <actual> (<backend>)", then the count; the
    notes are what could not be compared or read (see `diff.notes_for`).
    """
    count = len(differences)
    title = title or f"{expected} vs {actual}" + (f" ({backend})" if backend else "")
    amount = "no differences" if not count else f"{count} difference{'s' if count > 1 else ''}"
    lines = [f"{title}: {amount}"]
    if differences:
        rows = [HEADER, *((d.table or "-", d.object, d.expected, d.actual) for d in differences)]
        widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER))]
        lines.append("")
        for number, row in enumerate(rows):
            cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
            lines.append(" | ".join(cells).rstrip())
            if number == 0:
                lines.append("-+-".join("-" * w for w in widths))
    remarks = [f"{d.table}: {d.object}: {d.note}" for d in differences if d.note]
    remarks += [n for n in notes if n]
    if remarks:
        lines += ["", "notes:", *(f"- {r}" for r in dict.fromkeys(remarks))]
    return "\n".join(lines)

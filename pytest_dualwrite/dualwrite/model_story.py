"""How a difference from the model reads: key, field, and the old, new and model values,
with the phase and operation that last set the key.

`old` and `new` are fetched only once something differs (an example's tables are small),
so a passing example pays nothing for the wording.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..errors import DualWriteAssertion
from .compare import Comparison
from .showing import code_points, pair
from .story import OperationLog

if TYPE_CHECKING:
    from .harness import Harness
    from .model import Model

class _Absent:
    """No value to show: prints as what is missing, reported as null."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


_GONE = _Absent("(no row)")
_DROPPED = _Absent("(table dropped)")


def _data(value: Any) -> Any:
    return None if isinstance(value, _Absent) else value


def _rows(harness: Harness, conn: sa.Connection, side: str,
          schema_index: int) -> dict[Any, dict[str, Any]] | None:
    """A side's rows by key, as compared names; None when that side is gone (dropped)."""
    spec = harness.spec
    schema = harness.schema(schema_index)
    table = spec.old_table if side == "old" else spec.new_table
    if side == "new" and spec.new_is_callable:
        return {harness.key_of(r): r for r in harness.sides.new_rows(conn)}
    if table is not None and not schema.has_table(table):
        return None
    source = harness.sides.projection(side, schema).subquery(spec.fields, "dw_show")
    rows = conn.execute(sa.select(*(source.c[f] for f in spec.fields))).mappings()
    return {harness.key_of(r): dict(r) for r in rows}


def _value(rows: dict[Any, dict[str, Any]] | None, key: Any, field: str | None) -> Any:
    if rows is None:
        return _DROPPED
    row = rows.get(key)
    if row is None:
        return _GONE
    return row if field is None else row.get(field)


def _step(model: Model, key: Any) -> tuple[str, str]:
    """(phase, operation) that last set the key."""
    text = model.last.get(key, "none: no operation set it")
    phase, _, operation = text.partition(": ")
    return phase, operation


def _line(key: Any, field: str | None, old: Any, new: Any, model: Any,
          extra: str, phase: str, operation: str, new_label: str) -> str:
    where = f"key={key!r}" + (f": {field}" if field else "")
    new_text, model_text, note = pair(new, model)  # look-alike strings by code point
    old_text = code_points(old) if note and isinstance(old, str) else repr(old)
    note = f" ({note})" if note else ""
    return (f"{where}: old {old_text}, {new_label} {new_text}, model {model_text}{extra}"
            f"{note}; last set in the {phase} phase by {operation}")


def model_failure(harness: Harness, conn: sa.Connection, model: Model, log: OperationLog,
                  when: str, result: Comparison) -> DualWriteAssertion:
    """`new` differs from the model: each differing key with old, new and model values."""
    spec = harness.spec
    at = harness.contract if "contract" in when and harness.contract else harness.live
    old = _rows(harness, conn, "old", at)
    new_label = spec.new_label
    lines: list[str] = []
    data: list[dict[str, Any]] = []

    def add(kind: str, key: Any, field: str | None, new: Any, wanted: Any,
            extra: str = "") -> None:
        phase, operation = _step(model, key)
        old_value = _value(old, key, field)
        lines.append(_line(key, field, old_value, new, wanted, extra, phase, operation,
                           new_label))
        data.append({"kind": kind, "table": new_label, "key": key, "field": field,
                     "old": _data(old_value), "new": _data(new), "model": _data(wanted),
                     "phase": phase,
                     "operation": operation})

    def key_of(values: Any) -> Any:
        values = list(values)
        return values[0] if len(values) == 1 else tuple(values)

    for d in result.changed:
        add("changed", key_of(d.key), d.field, d.new_value, d.old_value, " (stale or wrong)")
    for r in result.missing:
        add("missing", key_of(r[k] for k in result.key), None, _GONE, dict(r), " (lost)")
    for r in result.extra:
        key = key_of(r[k] for k in result.key)
        why = " (deleted, brought back)" if key in model.last else " (never written)"
        add("extra", key, None, dict(r), _GONE, why)
    for dup in result.duplicates:
        key = key_of(dup.key)
        add("duplicate", key, None, f"{dup.new_count} rows", model.rows.get(key, _GONE))
    return DualWriteAssertion(
        f"{spec.label}: {new_label} does not hold the model's records {when}",
        [("operations", log.render()), ("differences", "\n".join(lines))],
        {"operations": list(log.lines), "differences": data})


def read_failure(harness: Harness, conn: sa.Connection, model: Model, log: OperationLog,
                 when: str, problems: list[tuple[Any, str | None, Any, Any]]
                 ) -> DualWriteAssertion:
    """`read(key)` differs from the model: key, field, what read returned, old/new/model."""
    spec = harness.spec
    old = _rows(harness, conn, "old", harness.live)
    new = _rows(harness, conn, "new", harness.live)
    lines: list[str] = []
    data: list[dict[str, Any]] = []
    for key, field, model_value, read in problems:
        phase, operation = _step(model, key)
        if field is None:  # a row where none should be, or none where one should
            model_value = _GONE if model_value is None else dict(model_value)
            read = dict(read) if hasattr(read, "keys") else read
        old_value, new_value = _value(old, key, field), _value(new, key, field)
        lines.append(_line(key, field, old_value, new_value, model_value,
                           f", read returned {read!r}", phase, operation, spec.new_label))
        data.append({"kind": "read", "table": spec.new_label, "key": key, "field": field,
                     "old": _data(old_value), "new": _data(new_value),
                     "model": _data(model_value),
                     "read": read, "phase": phase, "operation": operation})
    return DualWriteAssertion(
        f"{spec.label}: read(key) disagrees with the model of the records {when}",
        [("operations", log.render()), ("differences", "\n".join(lines))],
        {"operations": list(log.lines), "differences": data})

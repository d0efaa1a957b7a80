"""The checks an example ends with: the two sides equal, kept records unchanged, reads right.

A mixin of the harness; each check counts what it verified and raises the story on a mismatch.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from . import spans
from .compare import Comparison, describe
from .long_values import show_pair
from .normalize import normalize
from .results import check_read_result
from .story import OperationLog, differences_of, failure, short

if TYPE_CHECKING:
    from ..schema.model import Schema
    from .sides import Sides
    from .spec import DualWrite


class Verify:
    """compare and the check_* helpers."""

    spec: DualWrite
    sides: Sides
    live: int
    contract: int | None

    if TYPE_CHECKING:
        from .harness import Stats

        stats: Stats

        def schema(self, index: int | None = None) -> Schema: ...
        def table(self, name: str) -> sa.Table: ...
        def keys_in_old(self, conn: sa.Connection) -> list[Any]: ...
        def call(self, conn: sa.Connection, attr: str, *args: Any) -> Any: ...
        def key_of(self, row: Mapping[str, Any]) -> Any: ...
        def _neighbours(self, key: Any) -> list[Any]: ...

    def compare(self, conn: sa.Connection) -> Comparison:
        return self.sides.compare(conn, self.schema(self.live), self.schema(self.live))

    def check_equal(self, conn: sa.Connection, log: OperationLog, when: str) -> None:
        result = self.compare(conn)
        self.stats.records_verified += result.counts.old_rows
        found = spans.unreached(conn, self.spec, self.schema(self.live))
        if not result.equal or found:
            self.stats.mismatches += 1
            spec = self.spec
            lines = [describe(result, spec.old_label, spec.new_label,
                              {**spec.key_map, **spec.column_map})] if not result.equal else []
            lines += spans.describe_unreached(found, spec.new_label)
            what = "differ" if not result.equal else "are equal, but the join hides rows"
            raise failure(f"{spec.label}: {spec.old_label} and {spec.new_label} {what} {when}",
                          log, "\n".join(lines),
                          differences_of(result, spec.new_label) + spans.differences(found))

    def check_spans(self, conn: sa.Connection, log: OperationLog, when: str,
                    schema: Schema | None) -> None:
        """Rows of the tables `new` joins that it never reaches (`spans=`), on their own."""
        found = spans.unreached(conn, self.spec, schema)
        if found:
            self.stats.mismatches += 1
            raise failure(f"{self.spec.label}: {self.spec.new_label} hides rows of the tables "
                          f"it joins {when}", log,
                          "\n".join(spans.describe_unreached(found, self.spec.new_label)),
                          spans.differences(found))

    def snapshot_new(self, conn: sa.Connection) -> Any:
        return self.sides.keep_new(conn, self.schema(self.live))

    def snapshot_old(self, conn: sa.Connection) -> Any:
        return self.sides.keep(conn, "old", self.schema(self.live))

    def check_unchanged(self, conn: sa.Connection, kept: Any, log: OperationLog,
                        summary: str) -> None:
        equal, details, count, records = self.sides.compare_kept(conn, kept,
                                                                 self.schema(self.live))
        self.stats.records_verified += count
        if not equal:
            self.stats.mismatches += 1
            raise failure(f"{self.spec.label}: {summary}", log, details, records)

    def check_against(self, conn: sa.Connection, kept: Any, log: OperationLog,
                      when: str) -> None:
        schema = self.schema(self.contract) if self.contract else None
        equal, details, count, records = self.sides.compare_kept(conn, kept, schema)
        self.stats.records_verified += count
        if not equal:
            self.stats.mismatches += 1
            raise failure(f"{self.spec.label}: records of {self.spec.old_label} lost or "
                          f"changed in {self.spec.new_label} {when}", log, details, records)

    def check_reads(self, conn: sa.Connection, log: OperationLog, when: str) -> None:
        """`read(key)` for every key (and a missing neighbour) against the old row."""
        spec = self.spec
        schema = self.schema(self.live)
        old = schema.table(spec.old_table or "")
        typed = self.table(old.name)
        fields = spec.fields
        keys = self.keys_in_old(conn)
        expected: dict[Any, dict[str, Any]] = {}
        for r in conn.execute(sa.select(*(typed.c[f.lower()] for f in fields))).mappings():
            expected[self.key_of(r)] = dict(r)
        probes = keys + [n for k in keys[:1] for n in self._neighbours(k) if n not in expected]
        problems: list[tuple[str, dict[str, Any]]] = []
        for key in probes:
            log.add(f"read(key={key!r}) {when}")
            got = self.call(conn, "read", key)
            check_read_result(spec, key, got)
            want = expected.get(key)
            problems += _read_problems(spec.old_label, key, want, got, fields, old)
        self.stats.records_verified += len(keys)
        if problems:
            self.stats.mismatches += 1
            raise failure(f"{spec.label}: the read path disagrees with {spec.old_label} {when}",
                          log, "\n".join(line for line, _ in problems),
                          [record for _, record in problems])


def _read_problems(old_label: str, key: Any, want: Mapping[str, Any] | None, got: Any,
                   fields: list[str], table: Any) -> list[tuple[str, dict[str, Any]]]:
    """Each difference as the line shown and the report's record (kind `read`: `old` is
    the old row's value, `new` what read returned)."""
    def record(field: str | None, old: Any, new: Any) -> dict[str, Any]:
        return {"kind": "read", "table": "read", "key": key, "field": field, "old": old,
                "new": new}

    if want is None:
        return [] if got is None else [(f"key={key!r}: read returned {short(dict(got), 200)} "
                                        f"but {old_label} has no such row",
                                        record(None, None, dict(got)))]
    if got is None:
        return [(f"key={key!r}: read returned None but {old_label} has "
                 f"{short(dict(want), 200)}", record(None, dict(want), None))]
    out = []
    for name in fields:
        column_type = table.column(name).type
        value = got.get(name) if isinstance(got, Mapping) else getattr(got, name, None)
        if normalize(value, column_type) != normalize(want[name], column_type):
            out.append((f"key={key!r}: " + show_pair(f"{old_label}.{name}: old", want[name],
                                                     "read", value, repr),
                        record(name, want[name], value)))
    return out

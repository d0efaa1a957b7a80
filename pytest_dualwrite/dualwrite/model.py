"""The model of the records: what the application's data must be, whatever the schema.

After the write cutover `old` is frozen and stops being the truth, so "old equals new"
proves nothing there. The model is the truth instead: the pre-existing rows, then each
write, update and delete the application made and the database accepted, applied in
order. It also remembers which operation (and in which phase) last set each key, so a
difference names the step that should have put the value there.

It is compared inside the database like everything else: its rows go into a temporary
table created from the old table's projection (so it has old's column types on Postgres,
and values are bound as SQLAlchemy binds old's), then the same multiset query as
`compare.py` runs against `new`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..strategies import sqlalchemy_type
from .compare import Comparison, Projection, compare, compare_rows, create_temp_as

if TYPE_CHECKING:
    from .harness import Harness

TABLE = "dw_model"


class Model:
    """Records by key (compared names, as `old` calls them), and their history."""

    def __init__(self, harness: Harness) -> None:
        self.harness = harness
        self.fields = harness.spec.fields
        self.rows: dict[Any, dict[str, Any]] = {}
        self.touched: list[Any] = []  # every key an operation named, in order, once
        self.last: dict[Any, str] = {}  # key -> "phase: operation" that last set it
        self._stored: dict[Any, dict[str, Any]] | None = None  # as loaded, until a change

    # --- what the application did ------------------------------------------------------
    def start(self, conn: sa.Connection, create: bool = True) -> None:
        """The pre-existing rows, as the database holds them, and the model's table
        (`create=False`: it is there already, on a connection kept between examples)."""
        typed = self.harness.table(self.harness.spec.old_table or "")
        for r in conn.execute(sa.select(*(typed.c[f] for f in self.fields))).mappings():
            key = self.harness.key_of(r)
            self.rows[key] = dict(r)
            self._touch(key, "pre-existing row")
        if create:
            self.table.create(conn)

    def wrote(self, row: Mapping[str, Any], step: str) -> None:
        key = self.harness.key_of(row)
        self.rows[key] = {f: row.get(f) for f in self.fields}
        self._touch(key, step)

    def updated(self, key: Any, changes: Mapping[str, Any], step: str) -> None:
        if key in self.rows:
            self.rows[key].update({f: v for f, v in changes.items() if f in self.fields})
            self._touch(key, step)
        else:
            self._touch(key, None)

    def deleted(self, key: Any, step: str) -> None:
        if key in self.rows:
            del self.rows[key]
            self._touch(key, step)
        else:
            self._touch(key, None)

    def named(self, key: Any) -> None:
        """A key an operation named that changed nothing (refused, or no such row)."""
        self._touch(key, None)

    def _touch(self, key: Any, step: str | None) -> None:
        if key not in self.last and key not in self.touched:
            self.touched.append(key)
        if step is not None:
            self.last[key] = step
            self._stored = None

    # --- in the database --------------------------------------------------------------
    @property
    def table(self) -> ModelTable:
        return self.harness.model_table()

    def load(self, conn: sa.Connection) -> dict[Any, dict[str, Any]]:
        """The model into its table (again only after a change); its rows back as the
        database stores them."""
        if self._stored is None:
            self._stored = self.table.load(conn, list(self.rows.values()))
        return self._stored

    def compare_new(self, conn: sa.Connection, schema: Any) -> Comparison:
        """The model against `new` (model on the left: `missing` = lost, `extra` =
        resurrected or invented, `changed` = a stale or wrong value)."""
        self.load(conn)
        return self.table.compare(conn, schema)


class ModelTable:
    """The temporary table the model is loaded into, and its comparison with `new`.

    One per harness: its statements (and on Postgres the prepared comparison) are built
    once; each example creates the table again in its own checkout, whose rollback (or
    fresh database) takes it away.
    """

    def __init__(self, harness: Harness) -> None:
        self.harness = harness
        spec = harness.spec
        self.names = spec.fields
        live = harness.schema(harness.live)
        old = live.table(spec.old_table or "")
        self.types = {n: old.column(n).type for n in self.names}
        source = harness.sides.old(live).subquery(self.names, "dw_model_src")
        self.shape = sa.select(*(source.c[n] for n in self.names)).limit(0)
        self.target = sa.table(TABLE, *(sa.column(n, sqlalchemy_type(self.types[n]))
                                        for n in self.names))
        self.projection = Projection(sa.select(*(self.target.c[n] for n in self.names)),
                                     "model", self.types)
        self._plans: dict[Any, Any] = {}
        self.instants = {n for n in self.names if self.types[n].family == "timestamp"}
        self._wrapped: dict[int, tuple[Projection, Projection]] = {}

    def create(self, conn: sa.Connection) -> None:
        create_temp_as(conn, TABLE, self.shape)

    def load(self, conn: sa.Connection, rows: list[dict[str, Any]]
             ) -> dict[Any, dict[str, Any]]:
        conn.execute(sa.delete(self.target))
        if rows:
            conn.execute(sa.insert(self.target), rows)
        stored = conn.execute(sa.select(*(self.target.c[n] for n in self.names))).mappings()
        return {self.harness.key_of(r): dict(r) for r in stored}

    def compare(self, conn: sa.Connection, schema: Any) -> Comparison:
        spec = self.harness.spec
        sides = self.harness.sides
        if spec.new_is_callable:
            return compare_rows(conn, self.projection, sides.new_rows(conn), spec.old_keys,
                                self.names, label=spec.new_label, types=self.types)
        model, new = self.projection, sides.projection("new", schema)
        if conn.dialect.name == "sqlite" and self.instants:
            model, new = self._as_instants(conn, model), self._as_instants(conn, new)
        return compare(conn, model, new, spec.old_keys, self.names, plans=self._plans)

    def _as_instants(self, conn: sa.Connection, projection: Projection) -> Projection:
        """SQLite keeps a timestamp as the text its writer chose ('...00:00' from the
        driver, '...00:00.000000' from SQLAlchemy, an offset or not): the model cannot
        know which the application's SQL used, so on both sides a timestamp column is
        compared as the instant it names (UTC, to the microsecond), by a function the
        connection runs. One projection per side, so the comparison's plan is reused."""
        dbapi = conn.connection.dbapi_connection
        if dbapi is not None:
            dbapi.create_function("dw_instant", 1, _instant, deterministic=True)
        if id(projection) not in self._wrapped:
            source = projection.subquery(self.names, "dw_src")
            columns = [sa.func.dw_instant(source.c[n]).label(n) if n in self.instants
                       else source.c[n] for n in self.names]
            self._wrapped[id(projection)] = (projection, Projection(
                sa.select(*columns), projection.label, projection.types))
        return self._wrapped[id(projection)][1]


def _instant(value: Any) -> Any:
    if isinstance(value, datetime):
        value = value.isoformat(sep=" ")
    if not isinstance(value, str):
        return value
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
    return parsed.isoformat(sep=" ", timespec="microseconds")

"""`DualWrite`: what a user declares about one migration of records from `old` to `new`.

A spec is plain data plus the user's callables. It checks what it can alone (callable
arities, key/column shapes) when built, and what needs the schema (tables, columns, key
uniqueness) in `validate(schema)`, so collection fails with one line instead of an example
failing later for a reason that has nothing to do with the user's migration.

A problem found when built is kept, not raised: raised at module import it would fail the
whole test module (or conftest) with a traceback through this file, hiding the spec's
name. `check()` raises it as one line naming the file, line and spec; the plugin calls it
when it collects the spec, `Harness` before it runs anything.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import SpecError
from ..schema.model import Schema, Table

Rows = Iterable[Mapping[str, Any]]

# callable name -> (positional parameters it receives, what they are)
SIGNATURES: dict[str, tuple[int, str]] = {
    "write": (2, "(conn, row)"),
    "update": (3, "(conn, key, changes)"),
    "delete": (2, "(conn, key)"),
    "backfill": (1, "(conn)"),
    "read": (2, "(conn, key)"),
    "new": (1, "(conn)"),
    "reset": (0, "()"),
}

# What `Cutover`'s callables receive: the same shapes as the dual-write ones.
CUTOVER_SIGNATURES: dict[str, tuple[int, str]] = {
    name: SIGNATURES[name] for name in ("write", "update", "delete")}

ITEMS = (
    "mapping_is_lossless",
    "backfill_preserves_every_record",
    "backfill_is_idempotent",
    "backfill_resumes",
    "dual_write_keeps_both_equal",
    "read_path_matches",
    "contract_keeps_every_record",
    "cutover_keeps_every_record",
    "backfill_races_live_writes",
)


@dataclass(frozen=True)
class Cutover:
    """The application's write path after the write cutover: the new schema only.

    Each callable has the shape of its dual-write namesake; one left out is an operation
    the application no longer makes after the cutover.
    """

    write: Callable[..., Any] | None = None
    update: Callable[..., Any] | None = None
    delete: Callable[..., Any] | None = None


def _accepts(fn: Callable[..., Any], count: int) -> bool:
    """Whether `fn` can be called with `count` positional arguments."""
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):  # builtins without a signature: trust the user
        return True
    try:
        signature.bind(*([None] * count))
    except TypeError:
        return False
    return True


def _is_select(text: str) -> bool:
    head = text.lstrip().split(None, 1)[0].lower() if text.strip() else ""
    return head in ("select", "with", "(")


def _name_of(fn: Callable[..., Any]) -> str:
    module = getattr(fn, "__module__", None)
    name = getattr(fn, "__qualname__", None) or repr(fn)
    return f"{module}.{name}" if module and module != "__main__" else name


@dataclass
class DualWrite:
    """One migration of records from `old` to `new`; every argument is in docs/spec.md."""

    old: Any
    new: Any
    key: str | Sequence[str] | Mapping[str, str]
    expand: int | str
    columns: Mapping[str, str] | Sequence[str] | None = None
    contract: int | str | None = None
    write: Callable[..., Any] | None = None
    update: Callable[..., Any] | None = None
    delete: Callable[..., Any] | None = None
    backfill: Callable[..., Any] | None = None
    read: Callable[..., Any] | None = None
    cutover: Cutover | None = None
    strategies: Mapping[str, Any] | None = None
    # For a `new` side outside the database (files, a document store): called before each
    # example so that example starts from an empty store, as the database does.
    reset: Callable[[], Any] | None = None
    # Old column -> why its lossy pair is meant (`mapping_is_lossless` then lists, not fails).
    accept_lossy: Mapping[str, str] | None = None
    name: str = field(default="", compare=False)
    # `path:line` of the statement that built the spec: where a one-line error points.
    defined_at: str = field(default="", init=False, compare=False, repr=False)
    problem: str | None = field(default=None, init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        self.defined_at = _caller()
        try:
            self._check_shape()
        except SpecError as exc:
            self.problem = str(exc)

    def _check_shape(self) -> None:
        for attr, (count, shape) in SIGNATURES.items():
            fn = getattr(self, attr)
            if attr == "new" and not callable(fn):
                continue
            if fn is not None and not callable(fn):
                raise SpecError(f"{attr}= must be a callable {shape}, got {type(fn).__name__}")
            if fn is not None and not _accepts(fn, count):
                raise SpecError(f"{attr}={_name_of(fn)} must accept {shape}: "
                                f"its signature is {inspect.signature(fn)}")
        if self.cutover is not None:
            self._check_cutover()
        if not isinstance(self.key, str | Sequence | Mapping):
            raise SpecError(f"key= must be a column name, a list of names or a dict of old "
                            f"-> new names, got {type(self.key).__name__}")
        if not self.old_keys:
            raise SpecError("key= names no column")
        self._check_accept_lossy()
        if self.contract is not None and _numbered(self.expand, self.contract) and \
                _order(self.contract) <= _order(self.expand):
            raise SpecError(f"contract={self.contract!r} must come after "
                            f"expand={self.expand!r}")

    def _check_cutover(self) -> None:
        if not isinstance(self.cutover, Cutover):
            raise SpecError(f"cutover= must be a Cutover(write=, update=, delete=), got "
                            f"{type(self.cutover).__name__}")
        if all(getattr(self.cutover, attr) is None for attr in CUTOVER_SIGNATURES):
            raise SpecError("cutover=Cutover() names no callable: give it write=, update= "
                            "or delete=")
        for attr, (count, shape) in CUTOVER_SIGNATURES.items():
            fn = getattr(self.cutover, attr)
            if fn is not None and not callable(fn):
                raise SpecError(f"Cutover({attr}=...) must be a callable {shape}, got "
                                f"{type(fn).__name__}")
            if fn is not None and not _accepts(fn, count):
                raise SpecError(f"Cutover({attr}={_name_of(fn)}) must accept {shape}: its "
                                f"signature is {inspect.signature(fn)}")

    def resolve(self, attr: str) -> Callable[..., Any] | None:
        """A callable by name: `write`, or `cutover.write` for the cut-over write path."""
        if attr.startswith("cutover."):
            return getattr(self.cutover, attr.split(".", 1)[1], None) \
                if self.cutover is not None else None
        return getattr(self, attr)  # type: ignore[no-any-return]

    def _check_accept_lossy(self) -> None:
        if self.accept_lossy is None:
            return
        if not isinstance(self.accept_lossy, Mapping):
            raise SpecError("accept_lossy= must be a dict of old column -> reason, got "
                            f"{type(self.accept_lossy).__name__}")
        mapped = [f.lower() for f in self.fields]
        for column, reason in self.accept_lossy.items():
            if not isinstance(column, str) or column.lower() not in mapped:
                raise SpecError(f"accept_lossy names {column!r}, which the spec does not map "
                                f"(mapped: {', '.join(self.fields)})")
            if not isinstance(reason, str) or not reason.strip():
                raise SpecError(f"accept_lossy[{column!r}] must give the reason as text")

    @property
    def where(self) -> str:
        """`path:line: name` for the start of a one-line error about this spec."""
        name = self.name or "DualWrite"
        return f"{self.defined_at}: {name}" if self.defined_at else name

    def check(self) -> None:
        """Raise the problem found when the spec was built, as one line; else nothing."""
        if self.problem is not None:
            raise SpecError(f"{self.where}: {self.problem}")

    # --- shape -------------------------------------------------------------------------
    @property
    def label(self) -> str:
        return self.name or f"{self.old_label}->{self.new_label}"

    @property
    def old_label(self) -> str:
        return self.old if isinstance(self.old, str) and not _is_select(self.old) else "old"

    @property
    def new_label(self) -> str:
        if isinstance(self.new, str) and not _is_select(self.new):
            return self.new
        return _name_of(self.new) if callable(self.new) else "new"

    @property
    def old_table(self) -> str | None:
        """The old table's name when `old` is one (not a SELECT); rows are generated for it."""
        return self.old.lower() if isinstance(self.old, str) and not _is_select(self.old) \
            else None

    @property
    def new_table(self) -> str | None:
        return self.new.lower() if isinstance(self.new, str) and not _is_select(self.new) \
            else None

    @property
    def new_is_callable(self) -> bool:
        return callable(self.new)

    @property
    def key_map(self) -> dict[str, str]:
        """old key column -> new key column."""
        if isinstance(self.key, str):
            return {self.key: self.key}
        if isinstance(self.key, Mapping):
            return dict(self.key)
        return {k: k for k in self.key}

    @property
    def old_keys(self) -> list[str]:
        return list(self.key_map)

    @property
    def column_map(self) -> dict[str, str]:
        """old column -> new column, keys excluded."""
        if self.columns is None:
            return {}
        if isinstance(self.columns, Mapping):
            mapped = dict(self.columns)
        else:
            mapped = {c: c for c in self.columns}
        return {o: n for o, n in mapped.items() if o not in self.key_map}

    @property
    def fields(self) -> list[str]:
        """Compared names, as the old side calls them: keys first, then mapped columns."""
        return [*self.old_keys, *self.column_map]

    def items(self) -> list[str]:
        """The checks this spec can run, given which callables it has."""
        names = []
        if self.old_table is not None and self.new_table is not None:
            names.append("mapping_is_lossless")
        if self.backfill is not None:
            names += ["backfill_preserves_every_record", "backfill_is_idempotent"]
            if inspect.isgeneratorfunction(self.backfill):
                names.append("backfill_resumes")
        if self.write is not None:
            names.append("dual_write_keeps_both_equal")
        if self.read is not None:
            names.append("read_path_matches")
        if self.contract is not None and self.backfill is not None:
            names.append("contract_keeps_every_record")
        if self.cutover is not None:
            names.append("cutover_keeps_every_record")
            # The whole timeline under live traffic: a backfill and writes to race it.
            if self.backfill is not None and self.write is not None:
                names.append("backfill_races_live_writes")
        return names

    def callable_name(self, attr: str) -> str:
        fn = self.resolve(attr)
        return _name_of(fn) if fn is not None else attr

    # --- validation against the schema -------------------------------------------------
    def validate(self, schema: Schema, where: str = "",
                 sides: tuple[str, ...] = ("old", "new")) -> None:
        """Fail with one line for a table or column the schema at `expand` does not have.

        `where` (`path:line`) leads the line; the spec's `defined_at` when not given.
        """
        where = where or self.defined_at
        prefix = f"{where}: " if where else ""
        label = self.name or "DualWrite"
        if self.old_table is not None and "old" in sides:
            table = self._table(schema, self.old_table, "old", prefix, label)
            for col in self.fields:
                self._column(table, col, "old", prefix, label)
            self._key_is_unique(table, self.old_keys, "old", prefix, label)
        if self.new_table is not None and "new" in sides:
            table = self._table(schema, self.new_table, "new", prefix, label)
            for col in [*self.key_map.values(), *self.column_map.values()]:
                self._column(table, col, "new", prefix, label)
        if self.strategies and self.old_table is not None and "old" in sides:
            table = schema.table(self.old_table)
            for col in self.strategies:
                self._column(table, col, "strategies", prefix, label)

    def _table(self, schema: Schema, name: str, side: str, prefix: str, label: str) -> Table:
        if not schema.has_table(name):
            known = ", ".join(schema.table_names) or "no tables"
            raise SpecError(f"{prefix}{label}: {side}={name!r} is not a table at migration "
                            f"{self.expand} (tables: {known})")
        return schema.table(name)

    def _given(self, table: Table) -> str:
        """The table's name as the spec spells it (the schema model folds case)."""
        for name in (self.old, self.new):
            if isinstance(name, str) and name.lower() == table.name:
                return name
        return table.name

    def _column(self, table: Table, col: str, side: str, prefix: str, label: str) -> None:
        if col.lower() not in table.column_names:
            raise SpecError(f"{prefix}{label}: {side} column {col!r} is not in table "
                            f"{self._given(table)!r} (columns: {', '.join(table.column_names)})")

    def _key_is_unique(self, table: Table, keys: list[str], side: str, prefix: str,
                       label: str) -> None:
        wanted = {k.lower() for k in keys}
        candidates = [set(table.primary_key)] + [set(u.columns) for u in table.uniques] + [
            set(i.columns) for i in table.indexes if i.unique and not i.where]
        unique = [c for c in candidates if c and c <= wanted]
        if not unique:
            raise SpecError(f"{prefix}{label}: key {keys} of {side} table "
                            f"{self._given(table)!r} is not unique (no primary key, unique "
                            "constraint or unique index on it)")
        # UNIQUE lets many rows hold NULL: such a key names no one record, and the rows the
        # plugin generates would hold NULL keys. A primary key's columns are NOT NULL.
        nullable = [c for c in keys if table.column(c).nullable]
        if nullable and not any(c <= set(table.primary_key) for c in unique):
            raise SpecError(f"{prefix}{label}: key column {nullable[0]!r} of {side} table "
                            f"{self._given(table)!r} is nullable: UNIQUE allows many NULLs, "
                            "so it names no one record (declare it NOT NULL)")


def _numbered(*versions: int | str) -> bool:
    """Whether each is a migration number; an Alembic revision id (`b2e1`) is not, and
    its order is the history's, checked when the spec meets the history."""
    try:
        for version in versions:
            _order(version)
    except SpecError:
        return False
    return True


def _order(version: int | str) -> tuple[int, ...]:
    text = str(version).lstrip("Vv")
    parts = text.replace("_", ".").split(".")
    try:
        return tuple(int(p) for p in parts)
    except ValueError:
        raise SpecError(f"version {version!r} is not a migration number") from None


def _caller() -> str:
    """`path:line` of the first frame outside this module (and the dataclass's generated
    `__init__`): the user's `DualWrite(...)` statement."""
    here = os.path.normcase(os.path.abspath(__file__))
    frame = inspect.currentframe()
    while frame is not None:
        filename = frame.f_code.co_filename
        if not filename.startswith("<") and os.path.normcase(os.path.abspath(filename)) != here:
            return f"{filename}:{frame.f_lineno}"
        frame = frame.f_back
    return ""

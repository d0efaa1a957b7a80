"""The one `Schema` value that every producer builds and the comparer reads.

Frozen dataclasses so two schemas compare with `==` and can be hashed, printed and diffed
without knowing who produced them (the SQL fold, a live database, or the user's models).
Names are stored lower-cased; types are normalized into a family plus parameters so that
`VARCHAR(40)`, `character varying(40)` and `String(40)` are the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

# Type families. Producers map every dialect spelling onto one of these.
FAMILIES = (
    "integer",  # smallint/int/bigint: size kept in `length` (2, 4, 8) where known
    "numeric",  # decimal/numeric with precision/scale
    "float",  # real/double
    "boolean",
    "string",  # varchar/char/text: `length` None means unbounded (TEXT)
    "binary",
    "date",
    "time",
    "timestamp",  # `timezone` True for TIMESTAMPTZ
    "interval",
    "uuid",
    "json",  # `variant` "jsonb" or "json"
    "enum",  # `variant` = enum name, `values` the labels
    "array",  # `variant` = element type text
    "unknown",  # the producer could not tell (e.g. SQLite affinity); compared loosely
)


@dataclass(frozen=True, order=True)
class ColumnType:
    family: str
    length: int | None = None
    precision: int | None = None
    scale: int | None = None
    timezone: bool | None = None
    variant: str | None = None
    values: tuple[str, ...] = ()

    def __str__(self) -> str:
        parts = [self.family]
        if self.family == "string" and self.length is not None:
            parts.append(f"({self.length})")
        elif self.family == "integer" and self.length is not None:
            parts.append(f"[{self.length * 8}bit]")
        elif self.family == "numeric" and self.precision is not None:
            parts.append(f"({self.precision},{self.scale or 0})")
        if self.timezone:
            parts.append(" with tz")
        if self.variant and self.family in ("json", "enum", "array"):
            parts.append(f" {self.variant}")
        return "".join(parts)

    def describe(self) -> str:
        """The type as a person writes it in SQL (`varchar(255)`, `timestamp with time zone`).

        Reports show this rather than `str()`, which names the family for debugging.
        """
        words = _DESCRIBE.get((self.family, self.length)) or _DESCRIBE.get((self.family, None))
        text = words or self.variant or self.family
        if self.family == "string":
            if self.variant == "char":
                text = f"char({self.length})" if self.length is not None else "char"
            elif self.length is not None:
                text = f"varchar({self.length})"
        elif self.family == "numeric" and self.precision is not None:
            text = f"numeric({self.precision},{self.scale or 0})"
        elif self.family in ("timestamp", "time"):
            text = self.family + (f"({self.precision})" if self.precision is not None else "")
            text += " with time zone" if self.timezone else ""
        elif self.family == "json":
            text = self.variant or "json"
        elif self.family == "enum":
            text = f"enum {self.variant or ''}".rstrip()
            if self.values:
                text += " (" + ", ".join(repr(v) for v in self.values) + ")"
        elif self.family == "array":
            text = f"{self.variant or '?'}[]"
        elif self.family == "unknown" and not self.variant:
            text = "unknown"
        return text


_DESCRIBE = {
    ("integer", 2): "smallint",
    ("integer", 4): "integer",
    ("integer", 8): "bigint",
    ("integer", None): "integer",
    ("float", 4): "real",
    ("float", 8): "double precision",
    ("float", None): "float",
    ("string", None): "text",
    ("numeric", None): "numeric",
    ("boolean", None): "boolean",
    ("binary", None): "binary",
    ("date", None): "date",
    ("interval", None): "interval",
    ("uuid", None): "uuid",
}


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    nullable: bool = True
    default: str | None = None  # normalized SQL text of the server default
    autoincrement: bool = False  # SERIAL / IDENTITY / SQLite INTEGER PRIMARY KEY
    # The name as the database spells it where that is not `name` (a quoted "Owner"):
    # what SQL must say; `name`, folded, is what schemas are compared and looked up by.
    real: str | None = field(default=None, compare=False)

    @property
    def sql_name(self) -> str:
        return self.real or self.name


@dataclass(frozen=True, order=True)
class ForeignKey:
    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]
    on_delete: str = "NO ACTION"
    on_update: str = "NO ACTION"
    name: str | None = field(default=None, compare=False)


@dataclass(frozen=True, order=True)
class Unique:
    columns: tuple[str, ...]
    name: str | None = field(default=None, compare=False)


@dataclass(frozen=True, order=True)
class Index:
    """An index; `expressions` are normalized SQL for non-column parts (e.g. lower(email))."""

    columns: tuple[str, ...]
    unique: bool = False
    where: str | None = None
    name: str | None = field(default=None, compare=False)


@dataclass(frozen=True, order=True)
class Check:
    sqltext: str  # normalized: `role IN ('a','b')`, not `= ANY (ARRAY[...])`
    name: str | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()
    foreign_keys: frozenset[ForeignKey] = frozenset()
    uniques: frozenset[Unique] = frozenset()
    indexes: frozenset[Index] = frozenset()
    checks: frozenset[Check] = frozenset()
    real: str | None = field(default=None, compare=False)  # as Column.real

    @property
    def sql_name(self) -> str:
        return self.real or self.name

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name.lower():
                return col
        raise KeyError(name)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def with_(self, **changes: object) -> Table:
        return replace(self, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Schema:
    tables: tuple[Table, ...] = ()
    enums: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # What a producer could not see (opaque statements, untyped SQLite columns): shown, not hidden.
    notes: tuple[str, ...] = field(default=(), compare=False)
    # Who produced this value ("migrations", "models", "postgres", "sqlite"): report titles.
    source: str = field(default="", compare=False)
    # Capabilities: what the producer can tell. The comparer compares a property only where
    # both sides can tell it, and lists what it skipped, instead of testing "if sqlite".
    # Types are exact (False: SQLite affinities; compared by storage class only).
    exact_types: bool = field(default=True, compare=False)
    # Check constraints were read (False: the producer could not read them reliably).
    has_checks: bool = field(default=True, compare=False)
    # ON DELETE / ON UPDATE of foreign keys were read.
    has_fk_actions: bool = field(default=True, compare=False)
    # Named enum types exist as schema objects (False on SQLite: an enum is just text there).
    has_enums: bool = field(default=True, compare=False)

    def table(self, name: str) -> Table:
        for t in self.tables:
            if t.name == name.lower():
                return t
        raise KeyError(name)

    def has_table(self, name: str) -> bool:
        return any(t.name == name.lower() for t in self.tables)

    @property
    def table_names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.tables)

    def enum(self, name: str) -> tuple[str, ...]:
        for enum_name, labels in self.enums:
            if enum_name == name.lower():
                return labels
        raise KeyError(name)

    def normalized(self) -> Schema:
        """Sort tables so producers that meet them in other orders still compare equal."""
        return replace(self, tables=tuple(sorted(self.tables, key=lambda t: t.name)),
                       enums=tuple(sorted(self.enums)))

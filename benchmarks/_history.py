"""A generated migration history in the Postgres dialect, shared by the migration benchmarks.

The mix is what a long-lived service accumulates: tables with foreign keys to earlier
tables, columns added later (nullable, or NOT NULL with a default), indexes (some unique,
some on two columns), and the occasional ALTER COLUMN SET NOT NULL / SET DEFAULT and
RENAME COLUMN. Deterministic for a seed; every file applies on an empty database in order.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

# (SQL type, a default that suits it): the spread of types a history really holds.
TYPES: tuple[tuple[str, str], ...] = (
    ("VARCHAR(120)", "''"),
    ("TEXT", "''"),
    ("INTEGER", "0"),
    ("BIGINT", "0"),
    ("BOOLEAN", "false"),
    ("NUMERIC(12, 2)", "0"),
    ("TIMESTAMPTZ", "now()"),
    ("DATE", "CURRENT_DATE"),
    ("JSONB", "'{}'::jsonb"),
)
# Kinds of step and their weights; the first step is always a CREATE TABLE.
KINDS: tuple[tuple[str, int], ...] = (
    ("create_table", 20),
    ("add_column", 33),
    ("create_index", 22),
    ("set_not_null", 6),
    ("set_default", 7),
    ("rename_column", 8),
    ("table_with_index", 4),
)


@dataclass
class _Col:
    name: str
    type: str
    default: str
    nullable: bool = True


@dataclass
class _Tbl:
    name: str
    columns: list[_Col] = field(default_factory=list)


@dataclass
class History:
    """Generated files (name -> SQL) and how many steps of each kind they hold."""

    files: dict[str, str]
    kinds: Counter[str]
    tables: list[str]

    def write(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        for name, sql in self.files.items():
            (folder / name).write_text(sql)
        return folder


def generate(count: int, seed: int = 7) -> History:
    """`count` migration files `NNNN_description.sql` (one naming convention, no gaps)."""
    rng = random.Random(seed)
    tables: list[_Tbl] = []
    files: dict[str, str] = {}
    kinds: Counter[str] = Counter()
    serial = 0
    width = max(3, len(str(count)))
    for number in range(1, count + 1):
        kind = "create_table" if not tables else rng.choices(
            [k for k, _ in KINDS], [w for _, w in KINDS])[0]
        serial += 1
        sql, label, kind = _step(rng, kind, tables, serial)
        kinds[kind] += 1
        files[f"{number:0{width}d}_{label}.sql"] = sql
    return History(files, kinds, [t.name for t in tables])


def _new_column(rng: random.Random, serial: int, index: int) -> _Col:
    sql_type, default = rng.choice(TYPES)
    return _Col(f"c{serial}_{index}", sql_type, default)


def _create_table(rng: random.Random, tables: list[_Tbl], serial: int) -> tuple[_Tbl, str]:
    table = _Tbl(f"t{serial:04d}")
    lines = ["    id BIGSERIAL PRIMARY KEY"]
    if tables:
        for j, parent in enumerate(rng.sample(tables, min(len(tables), rng.choice((1, 1, 2))))):
            action = rng.choice(("CASCADE", "SET NULL", "RESTRICT"))
            col = _Col(f"{parent.name}_id_{j}", "BIGINT", "0")
            table.columns.append(col)
            lines.append(f"    {col.name} BIGINT REFERENCES {parent.name} (id) "
                         f"ON DELETE {action}")
    for i in range(rng.randint(2, 6)):
        col = _new_column(rng, serial, i)
        col.nullable = rng.random() < 0.6
        table.columns.append(col)
        rule = "" if col.nullable else f" NOT NULL DEFAULT {col.default}"
        lines.append(f"    {col.name} {col.type}{rule}")
    lines.append("    created_at TIMESTAMPTZ NOT NULL DEFAULT now()")
    table.columns.append(_Col("created_at", "TIMESTAMPTZ", "now()", nullable=False))
    tables.append(table)
    body = ",\n".join(lines)
    return table, f"CREATE TABLE {table.name} (\n{body}\n);\n"


def _create_index(rng: random.Random, table: _Tbl, serial: int) -> str:
    cols = rng.sample(table.columns, min(len(table.columns), rng.choice((1, 1, 2))))
    unique = "UNIQUE " if rng.random() < 0.2 else ""
    names = ", ".join(c.name for c in cols)
    return f"CREATE {unique}INDEX ix_{table.name}_{serial} ON {table.name} ({names});\n"


def _step(rng: random.Random, kind: str, tables: list[_Tbl],
          serial: int) -> tuple[str, str, str]:
    """(SQL, file label, kind actually generated) for one migration."""
    if kind in ("create_table", "table_with_index"):
        table, sql = _create_table(rng, tables, serial)
        if kind == "table_with_index":
            sql = "-- a table and the index its first query needs\n" + sql + \
                _create_index(rng, table, serial)
        return sql, f"create_{table.name}", kind
    table = rng.choice(tables)
    if kind == "add_column":
        col = _new_column(rng, serial, 0)
        if rng.random() < 0.3:
            col.nullable = False
            rule = f" NOT NULL DEFAULT {col.default}"
        else:
            rule = ""
        table.columns.append(col)
        return (f"ALTER TABLE {table.name} ADD COLUMN {col.name} {col.type}{rule};\n",
                f"add_{col.name}_to_{table.name}", kind)
    if kind == "create_index":
        return _create_index(rng, table, serial), f"index_{table.name}", kind
    if kind == "set_not_null":
        candidates = [c for c in table.columns if c.nullable and "_id_" not in c.name]
        if candidates:
            col = rng.choice(candidates)
            col.nullable = False
            return (f"ALTER TABLE {table.name} ALTER COLUMN {col.name} SET NOT NULL;\n",
                    f"require_{col.name}", kind)
        kind = "set_default"
    if kind == "set_default":
        col = rng.choice([c for c in table.columns if "_id_" not in c.name])
        return (f"ALTER TABLE {table.name} ALTER COLUMN {col.name} SET DEFAULT {col.default};\n",
                f"default_{col.name}", kind)
    # rename_column: any column but the key and the foreign keys
    col = rng.choice([c for c in table.columns if "_id_" not in c.name])
    old, col.name = col.name, f"{col.name}_r{serial}"
    return (f"ALTER TABLE {table.name} RENAME COLUMN {old} TO {col.name};\n",
            f"rename_{old}", "rename_column")

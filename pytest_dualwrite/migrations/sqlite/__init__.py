"""Postgres (or MySQL) statements made to run on SQLite, where sqlglot alone gets it wrong.

Split by concern, all working on sqlglot's expression tree:

* `types`: the generator SQLite is written with (TYPE_MAPPING) and column types/defaults;
* `expressions`: values SQLite computes differently (now(), intervals, arrays, casts);
* `indexes`: index options and collations SQLite lacks;
* `unrunnable`: statements SQLite cannot run at all (`Skip`, with the reason);
* `statements`: `to_sqlite(tree, enums)`, one statement into the SQLite statements that
  mean the same, or `Skip` / `Unsupported`;
* `rebuild` and `table`: the ALTER TABLE forms SQLite lacks, done at apply time on the
  table's current definition (`sqlite_rebuild_statements`), and enum widening;
* `lateral`: LATERAL joins and `jsonb_array_elements` as SQLite reads them;
* `inline`: one-expression SQL functions inlined where they are called;
* `identity`: ADD GENERATED AS IDENTITY on SQLite's rowid;
* `views`: views keeping their column names through a column rename.
"""

from __future__ import annotations

from .indexes import constraint_using_index, index_as_constraint
from .rebuild import sqlite_rebuild_statements
from .statements import Rewritten, needs_apply_time, to_sqlite
from .table import Refused, enum_value_statements, with_value
from .types import DualwriteSQLite, Unsupported, generate
from .unrunnable import Skip, Unrunnable, classify

__all__ = [
    "DualwriteSQLite",
    "Refused",
    "Rewritten",
    "Skip",
    "Unrunnable",
    "Unsupported",
    "classify",
    "constraint_using_index",
    "enum_value_statements",
    "generate",
    "index_as_constraint",
    "needs_apply_time",
    "sqlite_rebuild_statements",
    "to_sqlite",
    "with_value",
]

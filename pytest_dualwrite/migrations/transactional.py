"""Whether a history can be applied inside one transaction that is then rolled back.

Postgres DDL is transactional, so a check that only reads the state a history builds
(`upgrade_from_empty`, `models_match_migrations`, `downgrade_leaves_no_trace`) can run
every step inside one transaction on a kept scratch database and roll it back, instead of
paying `CREATE DATABASE` and `DROP DATABASE` (a checkpoint each) per check. The runner
already gives each step a transaction of its own; inside one outer transaction each
step gets a savepoint instead. A few statements behave differently there than at the
commit between two steps of a real deploy, so a history holding one is applied on a
database of its own, committing each step, as before:

- `ALTER TYPE ... ADD VALUE`: Postgres refuses to use the new label before the
  transaction that added it commits ("unsafe use of new value"); before Postgres 12 it
  cannot run in a transaction block at all;
- `DEFERRABLE` / `INITIALLY DEFERRED` / `SET CONSTRAINTS`: deferred checks run at
  COMMIT, which a rolled-back transaction never reaches;
- `SET TRANSACTION`: must come first in its transaction;
- `CONCURRENTLY`, `VACUUM`, `COMMIT`, and Alembic's `autocommit_block()` or a Python
  step's own `commit()`: they end or refuse the surrounding transaction.

The test is textual and conservative: a word in a comment also sends the history to its
own database, which costs time and never a verdict.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .model import Migration, PythonStep, SqlSource

_NEEDS_COMMITS = re.compile(
    r"\badd\s+value\b|\bdeferr|\bset\s+constraints\b|\bset\s+transaction\b"
    r"|\bconcurrently\b|\bvacuum\b|\bcommit\b|autocommit_block", re.I)


def needs_own_commits(migrations: Sequence[Migration]) -> str | None:
    """Why this history cannot share one rolled-back transaction (`file: words`), or
    None when every step can run inside it."""
    for migration in migrations:
        for step in (migration.up, migration.down):
            if step is None:
                continue
            found = _NEEDS_COMMITS.search(_text(step))
            if found is not None:
                return f"{step.path}: {' '.join(found.group(0).split()).upper()}"
    return None


def _text(step: SqlSource | PythonStep) -> str:
    if isinstance(step, SqlSource):
        return step.text
    try:
        return step.path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "commit"  # unreadable: assume the worst, the real database is always right

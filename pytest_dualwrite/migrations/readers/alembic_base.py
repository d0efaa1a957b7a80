"""`dualwrite_alembic_base`: the schema an Alembic history starts from, when its base
revision is empty because the tables predate Alembic (JupyterHub's `base revision for
0.5` is `pass`; its databases were made by `metadata.create_all`).

The named metadata's `create_all` runs just before the first revision, inside the same
step, and its `drop_all` just after that revision's downgrade; so "from empty" means what
it meant for the project's first databases. The static fold reads the same DDL, compiled
for its dialect, ahead of the offline SQL.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

SETTING = "dualwrite_alembic_base"


def base_metadata(spec: str) -> sa.MetaData:
    """The metadata `spec` ("module:Base" or "module:metadata") names, or one line."""
    from ...schema.from_models import resolve_metadata

    return resolve_metadata(spec, SETTING)


def with_base(
    metadata: sa.MetaData, up: Callable[[Any], None], down: Callable[[Any], None]
) -> tuple[Callable[[Any], None], Callable[[Any], None]]:
    """The first revision's up and down, with the base schema made before and dropped after."""

    def upgrade(conn: Any) -> None:
        metadata.create_all(conn)
        up(conn)

    def downgrade(conn: Any) -> None:
        down(conn)
        metadata.drop_all(conn)

    return upgrade, downgrade


def base_ddl(metadata: sa.MetaData, url: str) -> str:
    """`create_all` as SQL text for the dialect of `url` (a dialect-only URL), no server."""
    parts: list[str] = []

    def collect(sql: Any, *args: Any, **kwargs: Any) -> None:
        parts.append(f"{str(sql.compile(dialect=engine.dialect)).strip()};\n")

    engine = sa.create_mock_engine(url, collect)
    metadata.create_all(engine, checkfirst=False)
    return "\n".join(parts)

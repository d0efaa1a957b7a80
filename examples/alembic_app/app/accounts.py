"""customers -> accounts: the code that runs between the expand (7c4f) and the contract
(9d6a). Every write goes to both tables inside the caller's transaction; reads prefer
accounts and fall back to customers until the backfill has copied everyone.

    customers     accounts
    id       ->   id
    name     ->   full_name
    email    ->   email
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import sqlalchemy as sa

from .models import Account

accounts = Account.__table__
# The old table is not a model any more (the contract drops it): described here, once.
customers = sa.Table(
    "customers",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(80), nullable=False),
    sa.Column("email", sa.String(120)),
    sa.Column("created_at", sa.DateTime(), nullable=False),
)
TO_NEW = {"id": "id", "name": "full_name", "email": "email", "created_at": "created_at"}


def _to_new(values: Mapping[str, Any]) -> dict[str, Any]:
    """Every mapped column, None included: one executemany takes its columns from the
    first row, so a row that left out a NULL email would drop every other row's email."""
    return {TO_NEW[c]: v for c, v in values.items() if c in TO_NEW}


def create_customer(conn: sa.Connection, row: Mapping[str, Any]) -> None:
    """A new customer, in both tables."""
    inserted = (
        conn.execute(
            sa.insert(customers)
            .values({c: v for c, v in row.items() if c in customers.c and v is not None})
            .returning(*customers.c)
        )
        .mappings()
        .one()
    )
    conn.execute(sa.insert(accounts).values(_to_new(inserted)))


def update_customer(conn: sa.Connection, customer_id: int, changes: Mapping[str, Any]) -> None:
    """The same change in both tables (a customer not copied yet gets it from the backfill)."""
    old = {c: v for c, v in changes.items() if c in customers.c and c != "id"}
    if not old:
        return
    conn.execute(sa.update(customers).where(customers.c.id == customer_id).values(old))
    conn.execute(
        sa.update(accounts)
        .where(accounts.c.id == customer_id)
        .values({TO_NEW[c]: v for c, v in old.items()})
    )


def delete_customer(conn: sa.Connection, customer_id: int) -> None:
    conn.execute(sa.delete(accounts).where(accounts.c.id == customer_id))
    conn.execute(sa.delete(customers).where(customers.c.id == customer_id))


def backfill_accounts(conn: sa.Connection, batch_size: int = 3) -> Iterator[int]:
    """Copy the customers accounts lacks, a batch at a time (the job commits after each
    yield). Runs again safely: a customer already copied is skipped."""
    missing = (
        sa.select(*customers.c)
        .where(~sa.exists().where(accounts.c.id == customers.c.id))
        .order_by(customers.c.id)
        .limit(batch_size)
    )
    while True:
        rows = conn.execute(missing).mappings().all()
        if not rows:
            return
        conn.execute(sa.insert(accounts), [_to_new(r) for r in rows])
        yield len(rows)


def get_customer(conn: sa.Connection, customer_id: int) -> dict[str, Any] | None:
    """The read path: accounts first, customers until the backfill has copied the row."""
    new = conn.execute(sa.select(accounts).where(accounts.c.id == customer_id)).mappings().first()
    if new is not None:
        return {
            "id": new["id"],
            "name": new["full_name"],
            "email": new["email"],
            "created_at": new["created_at"],
        }
    old = conn.execute(sa.select(customers).where(customers.c.id == customer_id)).mappings()
    found = old.first()
    return dict(found) if found is not None else None

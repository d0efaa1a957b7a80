"""Old tables that a contract migration drops, as Core `Table`s for the dual-write code.

The models (`app.models`) describe the schema after every migration, so `products`
(dropped by 006) and `consensus_artifacts` (dropped by 011) are not among them. The code
that writes both schemas until the contract step still needs these two, so they live
here, in their own MetaData that nothing creates or compares. Delete this module with the
last reader of the old tables.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

TIMESTAMPTZ = sa.DateTime(timezone=True)

# migrations/004_create_products.sql
products = sa.Table(
    "products", metadata,
    sa.Column("sku", sa.String(40), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("description", sa.Text),
    sa.Column("price_cents", sa.Integer, nullable=False),
    sa.Column("updated_at", TIMESTAMPTZ),
)

# migrations/009_create_consensus_artifacts.sql
consensus_artifacts = sa.Table(
    "consensus_artifacts", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("spec_id", sa.String(64), nullable=False),
    sa.Column("stage", sa.String(32), nullable=False),
    sa.Column("agent", sa.String(64), nullable=False),
    sa.Column("content", sa.Text, nullable=False),
    sa.Column("synthesis", sa.Text),
    sa.Column("created_at", TIMESTAMPTZ, nullable=False, server_default=sa.text("now()")),
    sa.UniqueConstraint("spec_id", "stage", "agent"),
)

"""create products

Revision ID: 5b2e8d4c1a02
Revises: 3f1a9c2b7d01
Create Date: 2025-02-03 14:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "5b2e8d4c1a02"
down_revision = "3f1a9c2b7d01"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "products",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("sku", sa.String(32), nullable=False, unique=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("price_cents", sa.Integer, nullable=False),
        sa.Column("status", sa.String(20), server_default="draft", nullable=False),
        sa.CheckConstraint("price_cents >= 0", name="products_price_cents_check"),
    )
    op.create_index("ix_products_title", "products", ["title"])


def downgrade() -> None:
    op.drop_index("ix_products_title", table_name="products")
    op.drop_table("products")

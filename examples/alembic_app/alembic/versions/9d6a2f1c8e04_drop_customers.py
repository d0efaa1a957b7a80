"""drop customers (contract): every customer is in accounts by now

Revision ID: 9d6a2f1c8e04
Revises: 7c4f0a6e3b03
Create Date: 2025-04-28 16:20:00

"""

import sqlalchemy as sa
from alembic import op

revision = "9d6a2f1c8e04"
down_revision = "7c4f0a6e3b03"
branch_labels = None
depends_on = None

# The rows live on in accounts; the DualWrite spec's contract_keeps_every_record proves it.
# dualwrite: drops customers


def upgrade() -> None:
    op.drop_table("customers")


def downgrade() -> None:
    op.create_table(
        "customers",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("email", sa.String(120), nullable=True, unique=True),
        sa.Column("created_at", sa.DateTime(), server_default=sa.func.now(), nullable=False),
    )

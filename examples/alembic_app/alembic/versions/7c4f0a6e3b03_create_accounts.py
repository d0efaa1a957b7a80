"""create accounts (expand): customers move here; the app writes both until the contract

Revision ID: 7c4f0a6e3b03
Revises: 5b2e8d4c1a02
Create Date: 2025-03-17 10:05:00

"""

import sqlalchemy as sa
from alembic import op

revision = "7c4f0a6e3b03"
down_revision = "5b2e8d4c1a02"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        # the customer's id, kept: other systems know customers by it
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("full_name", sa.String(80), nullable=False),
        sa.Column("email", sa.String(120), nullable=True, unique=True),
        sa.Column("created_at", sa.DateTime(), server_default=sa.func.now(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("accounts")

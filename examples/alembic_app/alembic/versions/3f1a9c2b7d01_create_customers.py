"""create customers

Revision ID: 3f1a9c2b7d01
Revises:
Create Date: 2025-01-10 09:12:00

"""

import sqlalchemy as sa
from alembic import op

revision = "3f1a9c2b7d01"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customers",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("email", sa.String(120), nullable=True, unique=True),
        sa.Column("created_at", sa.DateTime(), server_default=sa.func.now(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("customers")

"""accounts"""
import sqlalchemy as sa
from alembic import op

revision = "a1f0c0ffee01"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(80), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("accounts")

"""notes (the other branch)"""
import sqlalchemy as sa
from alembic import op

revision = "c3d2cafe0003"
down_revision = "a1f0c0ffee01"


def upgrade() -> None:
    op.create_table(
        "notes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("account_id", sa.Integer, sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("notes")

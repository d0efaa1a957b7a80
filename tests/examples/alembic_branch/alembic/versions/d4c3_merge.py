"""merge: index on the email the first branch added"""
from alembic import op

revision = "d4c3f00d0004"
down_revision = ("b2e1beef0002", "c3d2cafe0003")


def upgrade() -> None:
    op.create_index("ix_accounts_email", "accounts", ["email"])


def downgrade() -> None:
    op.drop_index("ix_accounts_email", table_name="accounts")

"""accounts.email (one branch)"""
import sqlalchemy as sa
from alembic import op

revision = "b2e1beef0002"
down_revision = "a1f0c0ffee01"


def upgrade() -> None:
    op.add_column("accounts", sa.Column("email", sa.String(120), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("email")

"""authors and their posts"""
import sqlalchemy as sa
from alembic import op

revision = "a1b2c3d4e5f6"
down_revision = None


def upgrade() -> None:
    op.create_table("authors", sa.Column("id", sa.Integer, primary_key=True))
    op.create_table(
        "posts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("author_id", sa.Integer, sa.ForeignKey("authors.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("status", sa.String(20), server_default="draft", nullable=False),
        sa.Column("created_at", sa.DateTime(), server_default=sa.text("CURRENT_TIMESTAMP"),
                  nullable=False),
    )
    op.create_index("ix_posts_recent", "posts", [sa.text("created_at DESC")])


def downgrade() -> None:
    op.drop_index("ix_posts_recent", table_name="posts")
    op.drop_table("posts")
    op.drop_table("authors")

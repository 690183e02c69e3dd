"""change feed: what the platform tells residents of (review steps, office cancellations, reminders)

Revision ID: bo_changes_0001
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "bo_changes_0001"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "change_feed",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("domain", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("ref", sa.String(length=24), nullable=False),
        sa.Column("recipient", sa.String(length=80), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("once_key", sa.String(length=80), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_feed")),
        sa.UniqueConstraint("once_key", name=op.f("uq_change_feed_once_key")),
    )


def downgrade() -> None:
    op.drop_table("change_feed")

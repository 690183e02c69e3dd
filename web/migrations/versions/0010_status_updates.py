"""status updates: the back-office change feed's cursor and the changes told

Revision ID: 0010_status_updates
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_status_updates"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feed_cursor",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_feed_cursor")),
    )
    op.create_table(
        "status_update",
        sa.Column("change_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("domain", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("ref", sa.String(length=24), nullable=False),
        sa.Column("recipient", sa.String(length=80), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("outbound_id", sa.Integer(), nullable=True),
        sa.Column("template", sa.JSON(), nullable=True),
        sa.Column("told_at", sa.DateTime(), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("change_id", name=op.f("pk_status_update")),
    )
    op.create_index(op.f("ix_status_update_recipient"), "status_update", ["recipient"])


def downgrade() -> None:
    op.drop_table("status_update")
    op.drop_table("feed_cursor")

"""outbound messages: when the last attempt started (a send in flight is ``sending``)

Revision ID: 0007_outbound_attempts
Revises: 0004_channels
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_outbound_attempts"
down_revision = "0004_channels"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("outbound_message", sa.Column("last_attempt_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    op.drop_column("outbound_message", "last_attempt_at")

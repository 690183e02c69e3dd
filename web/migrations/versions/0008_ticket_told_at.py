"""handoff tickets: when the waiting resident was last told their place (for the reminder)

Revision ID: 0008_ticket_told_at
Revises: 0004_handoff
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_ticket_told_at"
down_revision = "0004_handoff"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("handoff_ticket", sa.Column("told_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    op.drop_column("handoff_ticket", "told_at")

"""policy campaigns: monthly repeats (each month, residents who newly match; never twice for a benefit)

Revision ID: 0012_policy_recurring
Revises: 0011_policy_approval
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_policy_recurring"
down_revision = "0011_policy_approval"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("policy_campaign") as batch:
        batch.add_column(sa.Column("repeat_monthly", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("next_run_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("runs", sa.Integer(), nullable=False, server_default="0"))
    op.create_index("ix_policy_delivery_resident_status", "policy_delivery", ["resident_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_policy_delivery_resident_status", table_name="policy_delivery")
    with op.batch_alter_table("policy_campaign") as batch:
        for column in ("runs", "next_run_at", "repeat_monthly"):
            batch.drop_column(column)

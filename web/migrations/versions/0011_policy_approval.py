"""policy campaigns: two-person approval and edits (who started it, who last changed it, whether a change awaits another account)

Revision ID: 0011_policy_approval
Revises: 0005_policy
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_policy_approval"
down_revision = "0005_policy"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("policy_campaign") as batch:
        batch.add_column(sa.Column("started_by", sa.String(length=40), nullable=False, server_default=""))
        batch.add_column(sa.Column("updated_by", sa.String(length=40), nullable=False, server_default=""))
        batch.add_column(sa.Column("updated_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("needs_approval", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("policy_campaign") as batch:
        for column in ("needs_approval", "updated_at", "updated_by", "started_by"):
            batch.drop_column(column)

"""policy campaigns: staff members' own WeChat for test sends (bound by a one-time code sent to the account)

Revision ID: 0013_policy_tester
Revises: 0012_policy_recurring
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_policy_tester"
down_revision = "0012_policy_recurring"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "policy_tester",
        sa.Column("username", sa.String(length=40), nullable=False),
        sa.Column("openid", sa.String(length=64), nullable=True),
        sa.Column("bound_at", sa.DateTime(), nullable=True),
        sa.Column("code", sa.String(length=6), nullable=True),
        sa.Column("code_expires_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("username", name=op.f("pk_policy_tester")),
    )
    op.create_index("ix_policy_tester_code", "policy_tester", ["code"])


def downgrade() -> None:
    op.drop_index("ix_policy_tester_code", table_name="policy_tester")
    op.drop_table("policy_tester")

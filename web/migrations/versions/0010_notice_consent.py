"""subscription notices: each resident's answer to each subscription template (accept / reject)

Revision ID: 0010_notice_consent
Revises: 0009_oncall
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_notice_consent"
down_revision = "0009_oncall"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notice_consent",
        sa.Column("openid", sa.String(length=64), nullable=False),
        sa.Column("template_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("updated_at", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.PrimaryKeyConstraint("openid", "template_id", name=op.f("pk_notice_consent")),
    )


def downgrade() -> None:
    op.drop_table("notice_consent")

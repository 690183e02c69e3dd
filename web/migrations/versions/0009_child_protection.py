"""child protection: referrals of a child at risk the platform hands to the back-office

Revision ID: 0009_child_protection
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_child_protection"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "child_protection_referral",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("account", sa.Text(), nullable=False),
        sa.Column("reported_at", sa.DateTime(), nullable=False),
        sa.Column("conversation_url", sa.String(length=500), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("reference", sa.String(length=24), nullable=True),
        sa.Column("assigned_to", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversation.id"],
            name=op.f("fk_child_protection_referral_conversation_id_conversation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_child_protection_referral")),
    )
    with op.batch_alter_table("child_protection_referral") as batch_op:
        batch_op.create_index(batch_op.f("ix_child_protection_referral_conversation_id"), ["conversation_id"])
        batch_op.create_index(batch_op.f("ix_child_protection_referral_status"), ["status"])


def downgrade() -> None:
    op.drop_table("child_protection_referral")

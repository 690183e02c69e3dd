"""policy campaigns and their deliveries

Revision ID: 0005_policy
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_policy"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "policy_campaign",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("benefit", sa.String(length=20), nullable=False),
        sa.Column("rule", sa.JSON(), nullable=False),
        sa.Column("template_id", sa.String(length=64), nullable=False),
        sa.Column("template_fields", sa.JSON(), nullable=False),
        sa.Column("window_text", sa.Text(), nullable=False),
        sa.Column("apply_keyword", sa.String(length=12), nullable=False),
        sa.Column("apply_payload", sa.String(length=200), nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=True),
        sa.Column("quiet_start", sa.String(length=5), nullable=False),
        sa.Column("quiet_end", sa.String(length=5), nullable=False),
        sa.Column("cap_per_week", sa.Integer(), nullable=False),
        sa.Column("rate_per_second", sa.Float(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=True),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_campaign")),
    )
    op.create_index(op.f("ix_policy_campaign_state"), "policy_campaign", ["state"])
    op.create_table(
        "policy_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("openid", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("claim", sa.String(length=36), nullable=True),
        sa.Column("claimed_at", sa.DateTime(), nullable=True),
        sa.Column("channel", sa.String(length=8), nullable=True),
        sa.Column("outbound_id", sa.Integer(), nullable=True),
        sa.Column("msgid", sa.BigInteger(), nullable=True),
        sa.Column("errcode", sa.Integer(), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("opened_at", sa.DateTime(), nullable=True),
        sa.Column("replied_at", sa.DateTime(), nullable=True),
        sa.Column("applied_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["policy_campaign.id"], name=op.f("fk_policy_delivery_campaign_id_policy_campaign")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_delivery")),
        sa.UniqueConstraint("campaign_id", "resident_id", name="uq_policy_delivery_campaign_resident"),
    )
    op.create_index("ix_policy_delivery_campaign_status", "policy_delivery", ["campaign_id", "status"])
    op.create_index("ix_policy_delivery_resident_claimed", "policy_delivery", ["resident_id", "claimed_at"])
    op.create_index("ix_policy_delivery_openid_sent", "policy_delivery", ["openid", "sent_at"])
    op.create_index(op.f("ix_policy_delivery_outbound_id"), "policy_delivery", ["outbound_id"])


def downgrade() -> None:
    op.drop_table("policy_delivery")
    op.drop_index(op.f("ix_policy_campaign_state"), table_name="policy_campaign")
    op.drop_table("policy_campaign")

"""policy campaigns: every account that prepared or changed a campaign (policy_campaign.editors), none of whom may start it

Revision ID: 0014_policy_editors
Revises: 0013_policy_tester
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_policy_editors"
down_revision = "0013_policy_tester"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("policy_campaign") as batch:
        batch.add_column(sa.Column("editors", sa.JSON(), nullable=False, server_default=sa.text("'[]'")))
    campaign = sa.table(
        "policy_campaign",
        sa.column("id", sa.Integer),
        sa.column("created_by", sa.String),
        sa.column("updated_by", sa.String),
        sa.column("editors", sa.JSON),
    )
    conn = op.get_bind()
    for cid, created_by, updated_by in conn.execute(
        sa.select(campaign.c.id, campaign.c.created_by, campaign.c.updated_by)
    ):
        editors = list(
            dict.fromkeys(name for name in (created_by, updated_by) if name)
        )  # before: only these two were kept
        conn.execute(campaign.update().where(campaign.c.id == cid).values(editors=editors))


def downgrade() -> None:
    with op.batch_alter_table("policy_campaign") as batch:
        batch.drop_column("editors")

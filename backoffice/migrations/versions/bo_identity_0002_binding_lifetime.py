"""identity: a binding may end by itself (wechat_binding.expires_at), for web chat sign-ins

Revision ID: bo_identity_0002
Revises: bo_identity_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "bo_identity_0002"
down_revision = "bo_identity_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("wechat_binding") as batch:
        batch.add_column(sa.Column("expires_at", sa.DateTime(), nullable=True))
        batch.create_index(batch.f("ix_wechat_binding_expires_at"), ["expires_at"])


def downgrade() -> None:
    with op.batch_alter_table("wechat_binding") as batch:
        batch.drop_index(batch.f("ix_wechat_binding_expires_at"))
        batch.drop_column("expires_at")

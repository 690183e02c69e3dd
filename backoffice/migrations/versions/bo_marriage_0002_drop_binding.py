"""marriage: drop marriage_binding (an openid bound to the first ID number it typed; issue 19)

A sender's identity is now only its real-name binding (wechat_binding), made from a verified
sign-in. The rows are dropped, not moved: an ID number typed in chat proves nothing.

Revision ID: bo_marriage_0002
Revises: bo_marriage_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "bo_marriage_0002"
down_revision = "bo_marriage_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index(op.f("ix_marriage_binding_id_number"), table_name="marriage_binding")
    op.drop_table("marriage_binding")


def downgrade() -> None:
    op.create_table(
        "marriage_binding",
        sa.Column("openid", sa.String(length=80), nullable=False),
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.Column("bound_at", sa.DateTime(), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("openid", name=op.f("pk_marriage_binding")),
    )
    op.create_index(op.f("ix_marriage_binding_id_number"), "marriage_binding", ["id_number"])

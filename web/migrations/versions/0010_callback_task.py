"""call-back tasks: an agent's message WeChat would not take (45015 / 45047), until someone calls

Revision ID: 0010_callback_task
Revises: 0007_outbound_attempts
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_callback_task"
down_revision = "0007_outbound_attempts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "callback_task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("outbound_id", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=80), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.Column("done_at", sa.DateTime(), nullable=True),
        sa.Column("done_by", sa.String(length=64), nullable=True),
        sa.Column("notice_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_callback_task")),
        sa.UniqueConstraint("outbound_id", name=op.f("uq_callback_task_outbound_id")),
    )
    op.create_index(op.f("ix_callback_task_recipient"), "callback_task", ["recipient"])


def downgrade() -> None:
    op.drop_index(op.f("ix_callback_task_recipient"), table_name="callback_task")
    op.drop_table("callback_task")

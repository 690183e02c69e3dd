"""analytics events, 好差评 ratings and the NLU review inbox (issue 10)

Revision ID: 0006_analytics
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_analytics"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "analytics_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=True),
        sa.Column("district", sa.String(length=40), nullable=True),
        sa.Column("intent", sa.String(length=80), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("fallback", sa.Boolean(), nullable=False),
        sa.Column("flow", sa.String(length=60), nullable=True),
        sa.Column("step", sa.String(length=60), nullable=True),
        sa.Column("reason", sa.String(length=40), nullable=True),
        sa.Column("value", sa.Integer(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_event")),
    )
    with op.batch_alter_table("analytics_event") as batch_op:
        batch_op.create_index(batch_op.f("ix_analytics_event_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_analytics_event_conversation_id"), ["conversation_id"], unique=False)
        batch_op.create_index("ix_analytics_event_kind_at", ["kind", "at"], unique=False)
    op.create_table(
        "feedback_rating",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("task", sa.String(length=40), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("follow_up", sa.String(length=8), nullable=True),
        sa.Column("follow_up_note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"], ["conversation.id"], name=op.f("fk_feedback_rating_conversation_id_conversation")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_rating")),
    )
    with op.batch_alter_table("feedback_rating") as batch_op:
        batch_op.create_index(batch_op.f("ix_feedback_rating_conversation_id"), ["conversation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_feedback_rating_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_feedback_rating_follow_up"), ["follow_up"], unique=False)
    op.create_table(
        "review_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("guess", sa.String(length=80), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("label", sa.String(length=80), nullable=True),
        sa.Column("reviewed_by", sa.String(length=80), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"], ["message.id"], name=op.f("fk_review_item_message_id_message"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_item")),
    )
    with op.batch_alter_table("review_item") as batch_op:
        batch_op.create_index(batch_op.f("ix_review_item_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_review_item_message_id"), ["message_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_review_item_status"), ["status"], unique=False)


def downgrade() -> None:
    op.drop_table("review_item")
    op.drop_table("feedback_rating")
    op.drop_table("analytics_event")

"""on-call route: workers, weekly shifts and the escalation list; alerts and their gateway calls

Revision ID: 0009_oncall
Revises: 0008_ticket_told_at

The rota starts empty (nobody on call: after-hours tickets are answered as before); it is edited
at /admin/oncall, and `make run` writes a demo rota (web/oncall/demo.py).
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_oncall"
down_revision = "0008_ticket_told_at"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "oncall_worker",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.Column("escalation_rank", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oncall_worker")),
    )
    op.create_table(
        "oncall_shift",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("days", sa.String(length=60), nullable=False),
        sa.Column("starts", sa.String(length=5), nullable=False),
        sa.Column("ends", sa.String(length=5), nullable=False),
        sa.ForeignKeyConstraint(
            ["worker_id"],
            ["oncall_worker.id"],
            name=op.f("fk_oncall_shift_worker_id_oncall_worker"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oncall_shift")),
    )
    with op.batch_alter_table("oncall_shift", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_oncall_shift_worker_id"), ["worker_id"], unique=False)
    op.create_table(
        "oncall_alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("targets", sa.JSON(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("step_attempts", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.Column("gateway_id", sa.String(length=64), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("failed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["conversation_id"], ["conversation.id"], name=op.f("fk_oncall_alert_conversation_id_conversation")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["handoff_ticket.id"], name=op.f("fk_oncall_alert_ticket_id_handoff_ticket")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oncall_alert")),
    )
    with op.batch_alter_table("oncall_alert", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_oncall_alert_conversation_id"), ["conversation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_oncall_alert_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_oncall_alert_ticket_id"), ["ticket_id"], unique=False)
    op.create_table(
        "oncall_call",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("error", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["alert_id"], ["oncall_alert.id"], name=op.f("fk_oncall_call_alert_id_oncall_alert")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oncall_call")),
    )
    with op.batch_alter_table("oncall_call", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_oncall_call_alert_id"), ["alert_id"], unique=False)


def downgrade() -> None:
    op.drop_table("oncall_call")
    op.drop_table("oncall_alert")
    op.drop_table("oncall_shift")
    op.drop_table("oncall_worker")

"""handoff desk: agents, groups, tickets, notes, canned replies, rules, working hours, audit

Revision ID: 0004_handoff
Revises: 0001
Create Date: 2026-11-23 09:02:06

Default working hours (Mon-Fri 09:00-17:00) and a few canned replies are seeded; both are edited in the console.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_handoff"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agent_group",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_group")),
        sa.UniqueConstraint("name", name=op.f("uq_agent_group_name")),
    )
    op.create_table(
        "canned_reply",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=40), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_canned_reply")),
    )
    op.create_table(
        "working_hours",
        sa.Column("day", sa.String(length=8), nullable=False),
        sa.Column("opens", sa.String(length=5), nullable=False),
        sa.Column("closes", sa.String(length=5), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_working_hours")),
    )
    op.create_table(
        "agent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=40), nullable=False),
        sa.Column("display_name", sa.String(length=40), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=12), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.Column("last_seen_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.ForeignKeyConstraint(["group_id"], ["agent_group.id"], name=op.f("fk_agent_group_id_agent_group")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent")),
        sa.UniqueConstraint("username", name=op.f("uq_agent_username")),
    )
    op.create_table(
        "handoff_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("keywords", sa.Text(), nullable=False),
        sa.Column("priority", sa.String(length=8), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["group_id"], ["agent_group.id"], name=op.f("fk_handoff_rule_group_id_agent_group")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoff_rule")),
        sa.UniqueConstraint("name", name=op.f("uq_handoff_rule_name")),
    )
    op.create_table(
        "audit_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("remote_addr", sa.String(length=45), nullable=False),
        sa.Column("at", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["agent.id"], name=op.f("fk_audit_entry_agent_id_agent")),
        sa.ForeignKeyConstraint(
            ["conversation_id"], ["conversation.id"], name=op.f("fk_audit_entry_conversation_id_conversation")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entry")),
    )
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_entry_agent_id"), ["agent_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_entry_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_entry_conversation_id"), ["conversation_id"], unique=False)

    op.create_table(
        "handoff_ticket",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("priority", sa.String(length=8), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("after_hours", sa.Boolean(), nullable=False),
        sa.Column("callback_phone", sa.String(length=20), nullable=True),
        sa.Column("queued_at", sa.DateTime(), nullable=False),
        sa.Column("sla_due_at", sa.DateTime(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("outcome", sa.String(length=24), nullable=True),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["agent_id"], ["agent.id"], name=op.f("fk_handoff_ticket_agent_id_agent")),
        sa.ForeignKeyConstraint(["closed_by_id"], ["agent.id"], name=op.f("fk_handoff_ticket_closed_by_id_agent")),
        sa.ForeignKeyConstraint(
            ["conversation_id"], ["conversation.id"], name=op.f("fk_handoff_ticket_conversation_id_conversation")
        ),
        sa.ForeignKeyConstraint(["group_id"], ["agent_group.id"], name=op.f("fk_handoff_ticket_group_id_agent_group")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoff_ticket")),
    )
    with op.batch_alter_table("handoff_ticket", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_handoff_ticket_conversation_id"), ["conversation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_handoff_ticket_status"), ["status"], unique=False)

    op.create_table(
        "handoff_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["agent.id"], name=op.f("fk_handoff_note_agent_id_agent")),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["handoff_ticket.id"], name=op.f("fk_handoff_note_ticket_id_handoff_ticket")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoff_note")),
    )
    with op.batch_alter_table("handoff_note", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_handoff_note_ticket_id"), ["ticket_id"], unique=False)

    op.bulk_insert(
        sa.table(
            "working_hours", sa.column("day", sa.String), sa.column("opens", sa.String), sa.column("closes", sa.String)
        ),
        [{"day": day, "opens": "09:00", "closes": "17:00"} for day in ("mon", "tue", "wed", "thu", "fri")],
    )
    op.bulk_insert(
        sa.table("canned_reply", sa.column("title", sa.String), sa.column("text", sa.Text)),
        [
            {"title": "问候", "text": "您好，我是民政热线的工作人员，您慢慢说，我帮您看看。"},
            {"title": "稍等", "text": "好的，我帮您查一下，请稍等一两分钟。"},
            {"title": "要材料", "text": "办这件事需要带身份证和户口本原件，去您户籍所在地的社区事务受理服务中心办理。"},
            {"title": "回电", "text": "这件事电话里说更清楚，我们稍后给您打电话，请留意来电。"},
            {"title": "结束", "text": "您的事情已经办好了。还有别的问题随时找我们，祝您身体健康！"},
        ],
    )


def downgrade() -> None:
    with op.batch_alter_table("handoff_note", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_handoff_note_ticket_id"))

    op.drop_table("handoff_note")
    with op.batch_alter_table("handoff_ticket", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_handoff_ticket_status"))
        batch_op.drop_index(batch_op.f("ix_handoff_ticket_conversation_id"))

    op.drop_table("handoff_ticket")
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_entry_conversation_id"))
        batch_op.drop_index(batch_op.f("ix_audit_entry_at"))
        batch_op.drop_index(batch_op.f("ix_audit_entry_agent_id"))

    op.drop_table("audit_entry")
    op.drop_table("handoff_rule")
    op.drop_table("agent")
    op.drop_table("working_hours")
    op.drop_table("canned_reply")
    op.drop_table("agent_group")

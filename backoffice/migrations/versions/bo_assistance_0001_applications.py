"""assistance: applications and their status history

Revision ID: bo_assistance_0001
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "bo_assistance_0001"
down_revision = "0001"
branch_labels = ("assistance",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "assistance_application",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_no", sa.String(length=20), nullable=True),
        sa.Column("idempotency_key", sa.String(length=80), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=8), nullable=False),
        sa.Column("applicant_id_number", sa.String(length=18), nullable=False),
        sa.Column("applicant_resident_id", sa.Integer(), nullable=True),
        sa.Column("relation", sa.String(length=8), nullable=False),
        sa.Column("phone", sa.String(length=11), nullable=False),
        sa.Column("community_code", sa.String(length=16), nullable=False),
        sa.Column("hardship", sa.Text(), nullable=False),
        sa.Column("consent_at", sa.DateTime(), nullable=False),
        sa.Column("submitted_by_openid", sa.String(length=80), nullable=True),
        sa.Column("submitted_by_resident_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.Column("updated_at", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.ForeignKeyConstraint(
            ["applicant_resident_id"],
            ["resident.id"],
            name=op.f("fk_assistance_application_applicant_resident_id_resident"),
        ),
        sa.ForeignKeyConstraint(
            ["community_code"], ["community.code"], name=op.f("fk_assistance_application_community_code_community")
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by_resident_id"],
            ["resident.id"],
            name=op.f("fk_assistance_application_submitted_by_resident_id_resident"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assistance_application")),
        sa.UniqueConstraint("case_no", name=op.f("uq_assistance_application_case_no")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_assistance_application_idempotency_key")),
    )
    with op.batch_alter_table("assistance_application") as batch_op:
        batch_op.create_index(batch_op.f("ix_assistance_application_applicant_id_number"), ["applicant_id_number"])
        batch_op.create_index(batch_op.f("ix_assistance_application_applicant_resident_id"), ["applicant_resident_id"])
        batch_op.create_index(batch_op.f("ix_assistance_application_community_code"), ["community_code"])
        batch_op.create_index(
            batch_op.f("ix_assistance_application_submitted_by_resident_id"), ["submitted_by_resident_id"]
        )
    op.create_table(
        "assistance_status_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["assistance_application.id"],
            name=op.f("fk_assistance_status_event_application_id_assistance_application"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assistance_status_event")),
    )
    with op.batch_alter_table("assistance_status_event") as batch_op:
        batch_op.create_index(batch_op.f("ix_assistance_status_event_application_id"), ["application_id"])


def downgrade() -> None:
    op.drop_table("assistance_status_event")
    op.drop_table("assistance_application")

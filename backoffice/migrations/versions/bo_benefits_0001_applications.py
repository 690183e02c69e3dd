"""benefits: funeral and disability benefit applications, and the registry's disability category

Revision ID: bo_benefits_0001
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "bo_benefits_0001"
down_revision = "0001"
branch_labels = ("benefits",)
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("resident") as batch_op:
        batch_op.add_column(sa.Column("disability_category", sa.String(length=4), server_default="", nullable=False))
    op.create_table(
        "benefit_application",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_no", sa.String(length=20), nullable=True),
        sa.Column("idempotency_key", sa.String(length=80), nullable=False),
        sa.Column("programme", sa.String(length=20), nullable=False),
        sa.Column("subject_key", sa.String(length=40), nullable=False),
        sa.Column("subject_resident_id", sa.Integer(), nullable=True),
        sa.Column("subject_name", sa.String(length=20), nullable=False),
        sa.Column("relation", sa.String(length=8), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("estimate", sa.JSON(), nullable=False),
        sa.Column("required_documents", sa.JSON(), nullable=False),
        sa.Column("district_code", sa.String(length=12), nullable=False),
        sa.Column("phone", sa.String(length=11), nullable=False),
        sa.Column("submitted_by_openid", sa.String(length=80), nullable=True),
        sa.Column("submitted_by_resident_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.Column("updated_at", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.ForeignKeyConstraint(
            ["subject_resident_id"],
            ["resident.id"],
            name=op.f("fk_benefit_application_subject_resident_id_resident"),
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by_resident_id"],
            ["resident.id"],
            name=op.f("fk_benefit_application_submitted_by_resident_id_resident"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_benefit_application")),
        sa.UniqueConstraint("case_no", name=op.f("uq_benefit_application_case_no")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_benefit_application_idempotency_key")),
    )
    with op.batch_alter_table("benefit_application") as batch_op:
        batch_op.create_index("ix_benefit_application_subject", ["programme", "subject_key"])
        batch_op.create_index(batch_op.f("ix_benefit_application_subject_resident_id"), ["subject_resident_id"])
        batch_op.create_index(
            batch_op.f("ix_benefit_application_submitted_by_resident_id"), ["submitted_by_resident_id"]
        )
    op.create_table(
        "benefit_status_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["benefit_application.id"],
            name=op.f("fk_benefit_status_event_application_id_benefit_application"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_benefit_status_event")),
    )
    with op.batch_alter_table("benefit_status_event") as batch_op:
        batch_op.create_index(batch_op.f("ix_benefit_status_event_application_id"), ["application_id"])


def downgrade() -> None:
    op.drop_table("benefit_status_event")
    op.drop_table("benefit_application")
    with op.batch_alter_table("resident") as batch_op:
        batch_op.drop_column("disability_category")

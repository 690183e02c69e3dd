"""marriage: per-office booking rules, holiday arrangements entered by administrators, appointment flags (issue 22)

Revision ID: bo_marriage_0003
Revises: bo_marriage_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "bo_marriage_0003"
down_revision = "bo_marriage_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "marriage_booking_rules",
        sa.Column("office_code", sa.String(length=20), nullable=False),
        sa.Column("earliest_days_ahead", sa.Integer(), nullable=False),
        sa.Column("horizon_days", sa.Integer(), nullable=False),
        sa.Column("cutoff", sa.String(length=5), nullable=False),
        sa.Column("cancel_days_before", sa.Integer(), nullable=False),
        sa.Column("no_show_limit", sa.Integer(), nullable=False),
        sa.Column("no_show_period_days", sa.Integer(), nullable=False),
        sa.Column("no_show_ban_days", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.String(length=40), nullable=False),
        sa.Column("updated_at", sa.DateTime(), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(
            ["office_code"], ["office.code"], name=op.f("fk_marriage_booking_rules_office_code_office")
        ),
        sa.PrimaryKeyConstraint("office_code", name=op.f("pk_marriage_booking_rules")),
    )
    op.create_table(
        "marriage_holiday_arrangement",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("holidays", sa.JSON(), nullable=False),
        sa.Column("workdays", sa.JSON(), nullable=False),
        sa.Column("entered_by", sa.String(length=40), nullable=False),
        sa.Column("entered_at", sa.DateTime(), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_marriage_holiday_arrangement")),
    )
    op.add_column("marriage_appointment", sa.Column("flag", sa.String(length=120), server_default="", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("marriage_appointment") as batch:
        batch.drop_column("flag")
    op.drop_table("marriage_holiday_arrangement")
    op.drop_table("marriage_booking_rules")

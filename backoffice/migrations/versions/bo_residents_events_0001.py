"""resident events (the registry's recent life events, read by policy rules)

Revision ID: bo_residents_events_0001
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "bo_residents_events_0001"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "resident_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(["resident_id"], ["resident.id"], name=op.f("fk_resident_event_resident_id_resident")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resident_event")),
    )
    op.create_index("ix_resident_event_resident_kind_date", "resident_event", ["resident_id", "kind", "occurred_on"])


def downgrade() -> None:
    op.drop_index("ix_resident_event_resident_kind_date", table_name="resident_event")
    op.drop_table("resident_event")

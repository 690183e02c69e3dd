"""cemetery: attendants' check-in codes, gate check-ins (a booking used, and every try), who set a slot's capacity

Revision ID: bo_cemetery_0002
Revises: bo_cemetery_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "bo_cemetery_0002"
down_revision = "bo_cemetery_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cemetery_attendant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cemetery_code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=20), nullable=False),
        sa.Column("code_digest", sa.String(length=64), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.Column("issued_by", sa.String(length=40), nullable=False),
        sa.Column("issued_at", sa.DateTime(), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cemetery_code"], ["cemetery.code"], name=op.f("fk_cemetery_attendant_cemetery_code_cemetery")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cemetery_attendant")),
        sa.UniqueConstraint("code_digest", name=op.f("uq_cemetery_attendant_code_digest")),
    )
    op.create_index(op.f("ix_cemetery_attendant_cemetery_code"), "cemetery_attendant", ["cemetery_code"])
    op.create_table(
        "cemetery_gate_check",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("attendant_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=12), nullable=False),
        sa.Column("remote_addr", sa.String(length=45), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["cemetery_booking.id"], name=op.f("fk_cemetery_gate_check_booking_id_cemetery_booking")
        ),
        sa.ForeignKeyConstraint(
            ["attendant_id"],
            ["cemetery_attendant.id"],
            name=op.f("fk_cemetery_gate_check_attendant_id_cemetery_attendant"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cemetery_gate_check")),
    )
    op.create_index(op.f("ix_cemetery_gate_check_booking_id"), "cemetery_gate_check", ["booking_id"])
    op.add_column("cemetery_booking", sa.Column("used_at", sa.DateTime(), nullable=True))
    op.add_column("cemetery_booking", sa.Column("used_by", sa.String(length=20), server_default="", nullable=False))
    op.add_column("cemetery_slot", sa.Column("capacity_by", sa.String(length=40), server_default="", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("cemetery_slot") as batch:
        batch.drop_column("capacity_by")
    with op.batch_alter_table("cemetery_booking") as batch:
        batch.drop_column("used_by")
        batch.drop_column("used_at")
    op.drop_index(op.f("ix_cemetery_gate_check_booking_id"), table_name="cemetery_gate_check")
    op.drop_table("cemetery_gate_check")
    op.drop_index(op.f("ix_cemetery_attendant_cemetery_code"), table_name="cemetery_attendant")
    op.drop_table("cemetery_attendant")

"""cemetery: cemeteries, gates, slots, announced openings, bookings, waiting list

Revision ID: bo_cemetery_0001
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "bo_cemetery_0001"
down_revision = "0001"
branch_labels = ("cemetery",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cemetery",
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("district_code", sa.String(length=12), nullable=False),
        sa.Column("address", sa.String(length=120), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("hours", sa.String(length=120), nullable=False),
        sa.Column("aliases", sa.JSON(), nullable=False),
        sa.Column("companions_max", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["district_code"], ["district.code"], name=op.f("fk_cemetery_district_code_district")),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_cemetery")),
    )
    op.create_index(op.f("ix_cemetery_district_code"), "cemetery", ["district_code"])
    op.create_table(
        "cemetery_gate",
        sa.Column("code", sa.String(length=24), nullable=False),
        sa.Column("cemetery_code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=20), nullable=False),
        sa.Column("slots", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cemetery_code"], ["cemetery.code"], name=op.f("fk_cemetery_gate_cemetery_code_cemetery")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_cemetery_gate")),
    )
    op.create_index(op.f("ix_cemetery_gate_cemetery_code"), "cemetery_gate", ["cemetery_code"])
    op.create_table(
        "cemetery_slot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("gate_code", sa.String(length=24), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("start", sa.String(length=5), nullable=False),
        sa.Column("end", sa.String(length=5), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("booked", sa.Integer(), nullable=False),
        sa.CheckConstraint("booked >= 0 AND booked <= capacity", name=op.f("ck_cemetery_slot_booked_within_capacity")),
        sa.ForeignKeyConstraint(
            ["gate_code"], ["cemetery_gate.code"], name=op.f("fk_cemetery_slot_gate_code_cemetery_gate")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cemetery_slot")),
        sa.UniqueConstraint("gate_code", "day", "start", name="uq_cemetery_slot_gate_day_start"),
    )
    op.create_table(
        "cemetery_opening",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("opens_at", sa.DateTime(), nullable=False),
        sa.Column("announced_by", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_cemetery_opening")),
    )
    op.create_table(
        "cemetery_booking",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=True),
        sa.Column("openid", sa.String(length=80), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.Column("cemetery_code", sa.String(length=20), nullable=False),
        sa.Column("gate_code", sa.String(length=24), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("start", sa.String(length=5), nullable=False),
        sa.Column("end", sa.String(length=5), nullable=False),
        sa.Column("companions", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("from_waitlist", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["resident.id"], name=op.f("fk_cemetery_booking_resident_id_resident")
        ),
        sa.ForeignKeyConstraint(
            ["cemetery_code"], ["cemetery.code"], name=op.f("fk_cemetery_booking_cemetery_code_cemetery")
        ),
        sa.ForeignKeyConstraint(
            ["gate_code"], ["cemetery_gate.code"], name=op.f("fk_cemetery_booking_gate_code_cemetery_gate")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cemetery_booking")),
        sa.UniqueConstraint("number", name=op.f("uq_cemetery_booking_number")),
    )
    op.create_index(op.f("ix_cemetery_booking_openid"), "cemetery_booking", ["openid"])
    op.create_index(op.f("ix_cemetery_booking_resident_id"), "cemetery_booking", ["resident_id"])
    op.create_index(op.f("ix_cemetery_booking_cemetery_code"), "cemetery_booking", ["cemetery_code"])
    op.create_index(op.f("ix_cemetery_booking_day"), "cemetery_booking", ["day"])
    op.create_index(
        "ix_cemetery_booking_one_per_person_day",
        "cemetery_booking",
        ["id_number", "day"],
        unique=True,
        postgresql_where=sa.text("active"),
        sqlite_where=sa.text("active"),
    )
    op.create_table(
        "cemetery_waiting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=True),
        sa.Column("openid", sa.String(length=80), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.Column("cemetery_code", sa.String(length=20), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("companions", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("booking_number", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["resident.id"], name=op.f("fk_cemetery_waiting_resident_id_resident")
        ),
        sa.ForeignKeyConstraint(
            ["cemetery_code"], ["cemetery.code"], name=op.f("fk_cemetery_waiting_cemetery_code_cemetery")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cemetery_waiting")),
        sa.UniqueConstraint("number", name=op.f("uq_cemetery_waiting_number")),
    )
    op.create_index(op.f("ix_cemetery_waiting_openid"), "cemetery_waiting", ["openid"])
    op.create_index(op.f("ix_cemetery_waiting_resident_id"), "cemetery_waiting", ["resident_id"])
    op.create_index(
        "ix_cemetery_waiting_one_per_person_day",
        "cemetery_waiting",
        ["id_number", "day"],
        unique=True,
        postgresql_where=sa.text("active"),
        sqlite_where=sa.text("active"),
    )
    op.create_index("ix_cemetery_waiting_queue", "cemetery_waiting", ["cemetery_code", "day", "status"])


def downgrade() -> None:
    op.drop_table("cemetery_waiting")
    op.drop_table("cemetery_booking")
    op.drop_table("cemetery_opening")
    op.drop_table("cemetery_slot")
    op.drop_table("cemetery_gate")
    op.drop_table("cemetery")

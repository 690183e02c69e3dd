"""marriage: slots, closures, appointments, parties, openid bindings, idempotency keys

Revision ID: bo_marriage_0001
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "bo_marriage_0001"
down_revision = "0001"
branch_labels = ("marriage",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "marriage_slot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("office_code", sa.String(length=20), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("start", sa.String(length=5), nullable=False),
        sa.Column("end", sa.String(length=5), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("booked", sa.Integer(), nullable=False),
        sa.CheckConstraint("booked >= 0 AND booked <= capacity", name=op.f("ck_marriage_slot_booked_within_capacity")),
        sa.ForeignKeyConstraint(["office_code"], ["office.code"], name=op.f("fk_marriage_slot_office_code_office")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_marriage_slot")),
        sa.UniqueConstraint("office_code", "day", "start", name="uq_marriage_slot_office_day_start"),
    )
    op.create_table(
        "marriage_closure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("office_code", sa.String(length=20), nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(["office_code"], ["office.code"], name=op.f("fk_marriage_closure_office_code_office")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_marriage_closure")),
    )
    op.create_index(op.f("ix_marriage_closure_office_code"), "marriage_closure", ["office_code"])
    op.create_index(op.f("ix_marriage_closure_day"), "marriage_closure", ["day"])
    op.create_table(
        "marriage_appointment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=True),
        sa.Column("openid", sa.String(length=80), nullable=False),
        sa.Column("office_code", sa.String(length=20), nullable=False),
        sa.Column("service", sa.String(length=4), nullable=False),
        sa.Column("stage", sa.String(length=4), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("start", sa.String(length=5), nullable=False),
        sa.Column("end", sa.String(length=5), nullable=False),
        sa.Column("phone", sa.String(length=11), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("application_day", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(
            ["office_code"], ["office.code"], name=op.f("fk_marriage_appointment_office_code_office")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_marriage_appointment")),
        sa.UniqueConstraint("number", name=op.f("uq_marriage_appointment_number")),
    )
    op.create_index(op.f("ix_marriage_appointment_openid"), "marriage_appointment", ["openid"])
    op.create_index(op.f("ix_marriage_appointment_office_code"), "marriage_appointment", ["office_code"])
    op.create_table(
        "marriage_party",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=30), nullable=False),
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.Column("service_key", sa.String(length=8), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["marriage_appointment.id"],
            name=op.f("fk_marriage_party_appointment_id_marriage_appointment"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_marriage_party")),
    )
    op.create_index(op.f("ix_marriage_party_appointment_id"), "marriage_party", ["appointment_id"])
    op.create_index(op.f("ix_marriage_party_id_number"), "marriage_party", ["id_number"])
    op.create_index(
        "ix_marriage_party_one_active_per_person",
        "marriage_party",
        ["id_number", "service_key"],
        unique=True,
        postgresql_where=sa.text("active"),
        sqlite_where=sa.text("active"),
    )
    op.create_table(
        "marriage_binding",
        sa.Column("openid", sa.String(length=80), nullable=False),
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.Column("bound_at", sa.DateTime(), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("openid", name=op.f("pk_marriage_binding")),
    )
    op.create_index(op.f("ix_marriage_binding_id_number"), "marriage_binding", ["id_number"])
    op.create_table(
        "marriage_idempotency",
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_marriage_idempotency")),
    )


def downgrade() -> None:
    op.drop_table("marriage_idempotency")
    op.drop_table("marriage_binding")
    op.drop_table("marriage_party")
    op.drop_table("marriage_appointment")
    op.drop_table("marriage_closure")
    op.drop_table("marriage_slot")

"""eldercare: facility free_beds + (type, lat, lng) index, allowances, schemes, applications

Revision ID: bo_eldercare_0001
Revises: 0001
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "bo_eldercare_0001"
down_revision = "0001"
branch_labels = ("eldercare",)
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("facility") as batch:
        batch.add_column(sa.Column("free_beds", sa.Integer(), server_default="0", nullable=False))
        batch.create_index("ix_facility_type_lat_lng", ["type", "lat", "lng"])
    facility = sa.table(
        "facility", sa.column("code", sa.String), sa.column("beds", sa.JSON), sa.column("free_beds", sa.Integer)
    )
    conn = op.get_bind()
    for code, beds in conn.execute(sa.select(facility.c.code, facility.c.beds)).all():
        beds = json.loads(beds) if isinstance(beds, str) else beds or []
        free = sum(max(int(b.get("free", 0)), 0) for b in beds)
        if free:
            conn.execute(facility.update().where(facility.c.code == code).values(free_beds=free))

    op.create_table(
        "eldercare_allowance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("district_code", sa.String(length=12), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("age_min", sa.Integer(), nullable=False),
        sa.Column("age_max", sa.Integer(), nullable=True),
        sa.Column("monthly_amount", sa.Integer(), nullable=False),
        sa.Column("benefit_names", sa.JSON(), nullable=False),
        sa.Column("conditions", sa.Text(), nullable=False),
        sa.Column("documents", sa.JSON(), nullable=False),
        sa.Column("how_to_apply", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["district_code"], ["district.code"], name="fk_eldercare_allowance_district_code_district"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_eldercare_allowance"),
        sa.UniqueConstraint("district_code", "kind", "age_min", name="uq_eldercare_allowance_band"),
    )
    op.create_index("ix_eldercare_allowance_district_code", "eldercare_allowance", ["district_code"])

    op.create_table(
        "eldercare_scheme",
        sa.Column("key", sa.String(length=30), nullable=False),
        sa.Column("district_code", sa.String(length=12), nullable=False),
        sa.Column("title", sa.String(length=60), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("eligibility", sa.Text(), nullable=False),
        sa.Column("documents", sa.JSON(), nullable=False),
        sa.Column("how_to_apply", sa.Text(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("key", "district_code", name="pk_eldercare_scheme"),
    )

    op.create_table(
        "eldercare_application",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=24), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("idempotency_key", sa.String(length=100), nullable=False),
        sa.Column("openid", sa.String(length=64), nullable=False),
        sa.Column("applicant_id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("district_code", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("level", sa.Integer(), nullable=True),
        sa.Column("subsidy", sa.JSON(), nullable=False),
        sa.Column("history", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["applicant_id"], ["resident.id"], name="fk_eldercare_application_applicant_id_resident"
        ),
        sa.ForeignKeyConstraint(["subject_id"], ["resident.id"], name="fk_eldercare_application_subject_id_resident"),
        sa.ForeignKeyConstraint(
            ["district_code"], ["district.code"], name="fk_eldercare_application_district_code_district"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_eldercare_application"),
        sa.UniqueConstraint("reference", name="uq_eldercare_application_reference"),
        sa.UniqueConstraint("idempotency_key", name="uq_eldercare_application_idempotency_key"),
    )
    op.create_index("ix_eldercare_application_kind", "eldercare_application", ["kind"])
    op.create_index("ix_eldercare_application_openid", "eldercare_application", ["openid"])
    op.create_index("ix_eldercare_application_subject_id", "eldercare_application", ["subject_id"])


def downgrade() -> None:
    op.drop_table("eldercare_application")
    op.drop_table("eldercare_scheme")
    op.drop_table("eldercare_allowance")
    with op.batch_alter_table("facility") as batch:
        batch.drop_index("ix_facility_type_lat_lng")
        batch.drop_column("free_beds")

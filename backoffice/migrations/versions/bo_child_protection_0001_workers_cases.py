"""child protection: whom a case goes to (儿童主任, 未成年人保护工作站 duty workers) and the cases

Revision ID: bo_child_protection_0001
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "bo_child_protection_0001"
down_revision = "0001"
branch_labels = ("child_protection",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "child_protection_worker",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("district_code", sa.String(length=12), nullable=False),
        sa.Column("community_code", sa.String(length=16), nullable=True),
        sa.Column("station", sa.String(length=60), nullable=False),
        sa.Column("name", sa.String(length=20), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("takes_unlocated", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_code"], ["community.code"], name="fk_child_protection_worker_community_code_community"
        ),
        sa.ForeignKeyConstraint(
            ["district_code"], ["district.code"], name="fk_child_protection_worker_district_code_district"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_child_protection_worker"),
        sa.UniqueConstraint("community_code", name="uq_child_protection_worker_community_code"),
    )
    op.create_index("ix_child_protection_worker_district_code", "child_protection_worker", ["district_code"])
    op.create_table(
        "child_protection_case",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=24), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("sender", sa.String(length=80), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=True),
        sa.Column("account", sa.Text(), nullable=False),
        sa.Column("conversation_url", sa.String(length=500), nullable=False),
        sa.Column("reported_at", sa.DateTime(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("district_code", sa.String(length=12), nullable=False),
        sa.Column("community_code", sa.String(length=16), nullable=True),
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_code"], ["community.code"], name="fk_child_protection_case_community_code_community"
        ),
        sa.ForeignKeyConstraint(
            ["district_code"], ["district.code"], name="fk_child_protection_case_district_code_district"
        ),
        sa.ForeignKeyConstraint(["resident_id"], ["resident.id"], name="fk_child_protection_case_resident_id_resident"),
        sa.ForeignKeyConstraint(
            ["worker_id"],
            ["child_protection_worker.id"],
            name="fk_child_protection_case_worker_id_child_protection_worker",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_child_protection_case"),
        sa.UniqueConstraint("reference", name="uq_child_protection_case_reference"),
    )
    op.create_index("ix_child_protection_case_district_code", "child_protection_case", ["district_code"])
    op.create_index("ix_child_protection_case_kind", "child_protection_case", ["kind"])
    op.create_index("ix_child_protection_case_sender", "child_protection_case", ["sender"])
    op.create_index("ix_child_protection_case_worker_id", "child_protection_case", ["worker_id"])


def downgrade() -> None:
    op.drop_table("child_protection_case")
    op.drop_table("child_protection_worker")

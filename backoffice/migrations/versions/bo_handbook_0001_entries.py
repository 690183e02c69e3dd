"""handbook: entries

Revision ID: bo_handbook_0001
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "bo_handbook_0001"
down_revision = "0001"
branch_labels = ("handbook",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "handbook_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=60), nullable=False),
        sa.Column("topic", sa.String(length=30), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("conditions", sa.Text(), nullable=False),
        sa.Column("how_to_apply", sa.Text(), nullable=False),
        sa.Column("documents", sa.JSON(), nullable=False),
        sa.Column("contact", sa.String(length=300), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("effective_date", sa.Date(), nullable=True),
        sa.Column("district_code", sa.String(length=12), nullable=True),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("next_step", sa.String(length=300), nullable=False),
        sa.Column("updated_by", sa.String(length=40), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["district_code"], ["district.code"], name="fk_handbook_entry_district_code_district"),
        sa.PrimaryKeyConstraint("id", name="pk_handbook_entry"),
        sa.UniqueConstraint("slug", name="uq_handbook_entry_slug"),
    )
    op.create_index("ix_handbook_entry_topic", "handbook_entry", ["topic"])
    op.create_index("ix_handbook_entry_district_code", "handbook_entry", ["district_code"])


def downgrade() -> None:
    op.drop_table("handbook_entry")

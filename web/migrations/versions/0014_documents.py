"""documents by photo: a resident's files stored with their applications (web/documents)

Revision ID: 0014_documents
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_documents"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sender_id", sa.String(length=128), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("application_kind", sa.String(length=32), nullable=True),
        sa.Column("application_id", sa.String(length=64), nullable=True),
        sa.Column("application_title", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=True),
        sa.Column("kind_name", sa.String(length=40), nullable=False),
        sa.Column("storage_key", sa.String(length=128), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("scan", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), server_default=sa.func.now(), nullable=False),
        sa.Column("attached_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_document_storage_key")),
    )
    op.create_index(op.f("ix_document_sender_id"), "document", ["sender_id"])
    op.create_index(op.f("ix_document_created_at"), "document", ["created_at"])
    op.create_index("ix_document_application", "document", ["application_kind", "application_id"])


def downgrade() -> None:
    op.drop_index("ix_document_application", table_name="document")
    op.drop_index(op.f("ix_document_created_at"), table_name="document")
    op.drop_index(op.f("ix_document_sender_id"), table_name="document")
    op.drop_table("document")

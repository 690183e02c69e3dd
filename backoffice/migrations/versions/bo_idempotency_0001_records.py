"""idempotency: one table of Idempotency-Key records for every create endpoint

Moves marriage_idempotency's rows (with their stored answers) and the keys of existing
assistance and eldercare applications into idempotency_record, then drops
marriage_idempotency and assistance_application.request_hash. Migrated application keys
carry no fingerprint and no stored answer (none was kept, and the old assistance hash did
not cover the path): the key alone decides for them, and a replay shows the application
(backoffice/idempotency.py). The keys stay on the applications as the request that made them.

Revision ID: bo_idempotency_0001
Revises: bo_marriage_0001, bo_assistance_0001, bo_eldercare_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "bo_idempotency_0001"
down_revision = ("bo_marriage_0001", "bo_assistance_0001", "bo_eldercare_0001")
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "idempotency_record",
        sa.Column("scope", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=True),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response", sa.JSON(), nullable=True),
        sa.Column("resource", sa.String(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("scope", "key", name=op.f("pk_idempotency_record")),
    )
    op.execute(
        "INSERT INTO idempotency_record (scope, key, request_hash, status_code, response, resource, created_at) "
        "SELECT 'marriage', key, request_hash, status_code, response, NULL, created_at FROM marriage_idempotency"
    )
    op.execute(
        "INSERT INTO idempotency_record (scope, key, request_hash, status_code, response, resource, created_at) "
        "SELECT 'assistance', idempotency_key, NULL, 201, NULL, case_no, created_at FROM assistance_application "
        "WHERE case_no IS NOT NULL"
    )
    op.execute(
        "INSERT INTO idempotency_record (scope, key, request_hash, status_code, response, resource, created_at) "
        "SELECT 'eldercare', idempotency_key, NULL, 201, NULL, reference, created_at FROM eldercare_application"
    )
    op.drop_table("marriage_idempotency")
    with op.batch_alter_table("assistance_application") as batch:
        batch.drop_column("request_hash")


def downgrade() -> None:
    with op.batch_alter_table("assistance_application") as batch:
        batch.add_column(sa.Column("request_hash", sa.String(length=64), nullable=False, server_default=""))
    op.create_table(
        "marriage_idempotency",
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_marriage_idempotency")),
    )
    op.execute(
        "INSERT INTO marriage_idempotency (key, request_hash, status_code, response, created_at) "
        "SELECT key, request_hash, status_code, response, created_at FROM idempotency_record "
        "WHERE scope = 'marriage' AND request_hash IS NOT NULL AND response IS NOT NULL"
    )
    op.drop_table("idempotency_record")

"""identity: the stand-in's sign-in codes, authorization codes and SMS outbox; binding events

Revision ID: bo_identity_0001
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "bo_identity_0001"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "idp_signin_code",
        sa.Column("id", sa.String(length=43), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["resident_id"], ["resident.id"], name=op.f("fk_idp_signin_code_resident_id_resident")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idp_signin_code")),
    )
    op.create_index(op.f("ix_idp_signin_code_resident_id"), "idp_signin_code", ["resident_id"])
    op.create_index(op.f("ix_idp_signin_code_created_at"), "idp_signin_code", ["created_at"])
    op.create_table(
        "idp_authorization_code",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("redirect_uri", sa.String(length=500), nullable=False),
        sa.Column("scope", sa.String(length=200), nullable=False),
        sa.Column("nonce", sa.String(length=200), nullable=True),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("code_challenge", sa.String(length=128), nullable=False),
        sa.Column("code_challenge_method", sa.String(length=10), nullable=False),
        sa.Column("auth_time", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["resident.id"], name=op.f("fk_idp_authorization_code_resident_id_resident")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_idp_authorization_code")),
    )
    op.create_index(op.f("ix_idp_authorization_code_expires_at"), "idp_authorization_code", ["expires_at"])
    op.create_table(
        "sms_standin_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=11), nullable=False),
        sa.Column("text", sa.String(length=200), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_standin_message")),
    )
    op.create_index(op.f("ix_sms_standin_message_phone"), "sms_standin_message", ["phone"])
    op.create_index(op.f("ix_sms_standin_message_sent_at"), "sms_standin_message", ["sent_at"])
    op.create_table(
        "identity_binding_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sender", sa.String(length=64), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("note", sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["resident.id"], name=op.f("fk_identity_binding_event_resident_id_resident")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_binding_event")),
    )
    op.create_index(op.f("ix_identity_binding_event_sender"), "identity_binding_event", ["sender"])
    op.create_index(op.f("ix_identity_binding_event_resident_id"), "identity_binding_event", ["resident_id"])


def downgrade() -> None:
    op.drop_table("identity_binding_event")
    op.drop_table("sms_standin_message")
    op.drop_table("idp_authorization_code")
    op.drop_table("idp_signin_code")

"""identities: users, roles, API tokens, sessions, audit log, idempotency keys

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bgtasks_users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "bgtasks_user_roles",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["bgtasks_users.id"]),
        sa.PrimaryKeyConstraint("user_id", "role"),
    )
    op.create_table(
        "bgtasks_api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=True),
        sa.Column("last_used_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["bgtasks_users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("bgtasks_api_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bgtasks_api_tokens_user_id"), ["user_id"], unique=False)
    op.create_table(
        "bgtasks_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["bgtasks_users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("bgtasks_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bgtasks_sessions_user_id"), ["user_id"], unique=False)
    op.create_table(
        "bgtasks_audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=255), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=255), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("via", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("bgtasks_audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bgtasks_audit_log_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_bgtasks_audit_log_actor"), ["actor"], unique=False)
        batch_op.create_index(batch_op.f("ix_bgtasks_audit_log_action"), ["action"], unique=False)
    op.create_table(
        "bgtasks_idempotency_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("principal", sa.String(length=255), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("principal", "key", name="uq_bgtasks_idempotency_principal_key"),
    )


def downgrade() -> None:
    op.drop_table("bgtasks_idempotency_keys")
    with op.batch_alter_table("bgtasks_audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bgtasks_audit_log_action"))
        batch_op.drop_index(batch_op.f("ix_bgtasks_audit_log_actor"))
        batch_op.drop_index(batch_op.f("ix_bgtasks_audit_log_at"))
    op.drop_table("bgtasks_audit_log")
    with op.batch_alter_table("bgtasks_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bgtasks_sessions_user_id"))
    op.drop_table("bgtasks_sessions")
    with op.batch_alter_table("bgtasks_api_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bgtasks_api_tokens_user_id"))
    op.drop_table("bgtasks_api_tokens")
    op.drop_table("bgtasks_user_roles")
    op.drop_table("bgtasks_users")

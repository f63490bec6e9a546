"""SQLAlchemy tables of the registry.

They live in the same database as Dagster's storage (PostgreSQL), or beside it in
``$DAGSTER_HOME/bgtasks.db`` on SQLite, and every name starts with ``bgtasks_`` so they never
collide with Dagster's own tables. Change them only through a new Alembic migration.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

launch_templates = sa.Table(
    "bgtasks_launch_templates",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(63), nullable=False, unique=True),
    sa.Column("description", sa.Text, nullable=False, default=""),
    sa.Column("cpus", sa.Float, nullable=False),
    sa.Column("memory_mib", sa.Integer, nullable=False),
    sa.Column("max_processes", sa.Integer, nullable=False),
    sa.Column("time_limit_seconds", sa.Integer, nullable=False),
    sa.Column("network", sa.String(16), nullable=False),
    sa.Column("env", sa.JSON, nullable=False),
    sa.Column("run_as_user", sa.String(64), nullable=True),
    sa.Column("revision", sa.Integer, nullable=False, default=1),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)

images = sa.Table(
    "bgtasks_images",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("reference", sa.String(255), nullable=False, unique=True),
    sa.Column("digest", sa.String(80), nullable=False),
    sa.Column("size_bytes", sa.BigInteger, nullable=False),
    sa.Column("origin", sa.String(16), nullable=False),  # "registered" or "uploaded"
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)

tasks = sa.Table(
    "bgtasks_tasks",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(63), nullable=False, unique=True),
    sa.Column("description", sa.Text, nullable=False, default=""),
    sa.Column("image_reference", sa.String(255), nullable=False),
    sa.Column("image_digest", sa.String(80), nullable=False),
    sa.Column("command", sa.JSON, nullable=False),
    sa.Column("env", sa.JSON, nullable=False),
    sa.Column("template_id", sa.Integer, sa.ForeignKey("bgtasks_launch_templates.id"), nullable=False),
    sa.Column("schedule", sa.String(255), nullable=True),
    sa.Column("timezone", sa.String(64), nullable=False, default="UTC"),
    sa.Column("run_after", sa.String(63), nullable=True, index=True),
    sa.Column("enabled", sa.Boolean, nullable=False, default=True),
    sa.Column("owner", sa.String(255), nullable=False),
    sa.Column("revision", sa.Integer, nullable=False, default=1),
    # Epoch seconds of the next cron fire time; the dispatcher sensor selects due tasks by it.
    sa.Column("next_run_at", sa.Float, nullable=True, index=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)

task_runs = sa.Table(
    "bgtasks_task_runs",
    metadata,
    sa.Column("run_id", sa.String(64), primary_key=True),
    sa.Column("task_name", sa.String(63), nullable=False, index=True),
    sa.Column("task_revision", sa.Integer, nullable=False),
    # The fully resolved container spec the run was pinned to when it was submitted.
    sa.Column("spec", sa.JSON, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("finished_at", sa.DateTime, nullable=True),
    sa.Column("exit_code", sa.Integer, nullable=True),
    sa.Column("duration_seconds", sa.Float, nullable=True),
    sa.Column("peak_memory_bytes", sa.BigInteger, nullable=True),
    sa.Column("outputs", sa.JSON, nullable=True),
    sa.Column("message", sa.Text, nullable=True),
)

# Identities (migration 0002): users with roles, API tokens, browser sessions, the audit log, and
# the Idempotency-Key records of run launches. Secrets are stored only as hashes.

users = sa.Table(
    "bgtasks_users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(63), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(255), nullable=True),  # None: no password login
    sa.Column("active", sa.Boolean, nullable=False, default=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)

user_roles = sa.Table(
    "bgtasks_user_roles",
    metadata,
    sa.Column("user_id", sa.Integer, sa.ForeignKey("bgtasks_users.id"), primary_key=True),
    sa.Column("role", sa.String(32), primary_key=True),
)

api_tokens = sa.Table(
    "bgtasks_api_tokens",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("bgtasks_users.id"), nullable=False, index=True),
    sa.Column("name", sa.String(63), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),  # SHA-256 hex of the token
    sa.Column("prefix", sa.String(16), nullable=False),  # first characters, to recognise it in lists
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("expires_at", sa.DateTime, nullable=True),
    sa.Column("last_used_at", sa.DateTime, nullable=True),
    sa.Column("revoked_at", sa.DateTime, nullable=True),
)

sessions = sa.Table(
    "bgtasks_sessions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("bgtasks_users.id"), nullable=False, index=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("expires_at", sa.DateTime, nullable=False),
)

audit_log = sa.Table(
    "bgtasks_audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", sa.DateTime, nullable=False, index=True),
    sa.Column("actor", sa.String(255), nullable=False, index=True),
    sa.Column("action", sa.String(64), nullable=False, index=True),
    sa.Column("target", sa.String(255), nullable=False),
    sa.Column("outcome", sa.String(16), nullable=False),  # "ok", "denied", "failed"
    sa.Column("via", sa.String(16), nullable=False),  # "api", "ui", "cli", "daemon", "shell"
    sa.Column("detail", sa.JSON, nullable=False),
)

idempotency_keys = sa.Table(
    "bgtasks_idempotency_keys",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("principal", sa.String(255), nullable=False),
    sa.Column("key", sa.String(255), nullable=False),
    sa.Column("request_hash", sa.String(64), nullable=False),
    sa.Column("run_id", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.UniqueConstraint("principal", "key", name="uq_bgtasks_idempotency_principal_key"),
)

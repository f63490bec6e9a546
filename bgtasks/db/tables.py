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

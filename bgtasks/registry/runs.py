"""What each run was pinned to and what it produced: the ``bgtasks_task_runs`` records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from pydantic import Field

from bgtasks.db.tables import task_runs
from bgtasks.errors import NotFound
from bgtasks.execution.spec import RunSpec
from bgtasks.registry.clock import utcnow
from bgtasks.registry.models import Env, LaunchTemplate, StrictModel, Task


class RunOverrides(StrictModel):
    """Per-run changes a user may ask for when launching: more environment, another command."""

    env: Env = Field(default_factory=dict)
    command: list[str] | None = None


def resolve_run_spec(task: Task, template: LaunchTemplate, overrides: RunOverrides) -> RunSpec:
    """Merge the layers into one spec: template defaults < task < per-run overrides. Pure."""
    return RunSpec(
        task_name=task.name,
        task_revision=task.revision,
        image_reference=task.image,
        image_digest=task.image_digest,
        command=list(overrides.command if overrides.command is not None else task.command),
        env={**template.env, **task.env, **overrides.env},
        template_name=template.name,
        template_revision=template.revision,
        cpus=template.cpus,
        memory_mib=template.memory_mib,
        max_processes=template.max_processes,
        time_limit_seconds=template.time_limit_seconds,
        network=template.network,
        run_as_user=template.run_as_user,
    )


@dataclass(frozen=True)
class TaskRunRecord:
    run_id: str
    task_name: str
    task_revision: int
    spec: RunSpec
    created_at: datetime
    finished_at: datetime | None
    exit_code: int | None
    duration_seconds: float | None
    peak_memory_bytes: int | None
    outputs: list[dict[str, Any]] | None
    message: str | None


def _from_row(row: sa.Row) -> TaskRunRecord:
    data = dict(row._mapping)
    data["spec"] = RunSpec.from_json(data["spec"])
    return TaskRunRecord(**data)


class RunRecords:
    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    def pin(self, run_id: str, spec: RunSpec) -> TaskRunRecord:
        """Record the spec a run will use; a second pin of the same run keeps the first."""
        with self._engine.begin() as connection:
            existing = connection.execute(sa.select(task_runs).where(task_runs.c.run_id == run_id)).first()
            if existing is None:
                connection.execute(
                    task_runs.insert().values(
                        run_id=run_id,
                        task_name=spec.task_name,
                        task_revision=spec.task_revision,
                        spec=spec.to_json(),
                        created_at=utcnow(),
                    )
                )
            return _from_row(
                connection.execute(sa.select(task_runs).where(task_runs.c.run_id == run_id)).one()
            )

    def unpin(self, run_id: str) -> None:
        """Forget the pin of a run that was never created (its launch failed or was refused)."""
        with self._engine.begin() as connection:
            connection.execute(task_runs.delete().where(task_runs.c.run_id == run_id))

    def find(self, run_id: str) -> TaskRunRecord | None:
        with self._engine.connect() as connection:
            row = connection.execute(sa.select(task_runs).where(task_runs.c.run_id == run_id)).first()
        return _from_row(row) if row else None

    def get(self, run_id: str) -> TaskRunRecord:
        record = self.find(run_id)
        if record is None:
            raise NotFound(f"run {run_id!r} is not a task run", field="run_id")
        return record

    def for_task(self, task_name: str, limit: int = 20) -> list[TaskRunRecord]:
        query = (
            sa.select(task_runs)
            .where(task_runs.c.task_name == task_name)
            .order_by(task_runs.c.created_at.desc())
            .limit(limit)
        )
        with self._engine.connect() as connection:
            return [_from_row(row) for row in connection.execute(query)]

    def record_result(
        self,
        run_id: str,
        *,
        exit_code: int | None,
        duration_seconds: float | None,
        peak_memory_bytes: int | None,
        outputs: list[dict[str, Any]],
        message: str | None,
    ) -> None:
        with self._engine.begin() as connection:
            connection.execute(
                task_runs.update()
                .where(task_runs.c.run_id == run_id)
                .values(
                    finished_at=utcnow(),
                    exit_code=exit_code,
                    duration_seconds=duration_seconds,
                    peak_memory_bytes=peak_memory_bytes,
                    outputs=outputs,
                    message=message,
                )
            )

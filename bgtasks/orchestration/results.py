"""What a run did, as users ask for it: Dagster's run record joined with bgtasks' own record."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from dagster import DagsterEventType, DagsterInstance, DagsterRunStatus, RunsFilter
from dagster._core.storage.dagster_run import RunRecord

from bgtasks.errors import NotFound
from bgtasks.orchestration.tags import JOB_NAME, LAUNCHED_BY_TAG, PARTITION_TAG, TASK_TAG, TRIGGER_TAG
from bgtasks.registry.prebuilt import is_prebuilt
from bgtasks.services import Services


@dataclass(frozen=True)
class RunView:
    run_id: str
    task_name: str | None
    status: str
    trigger: str | None
    created_at: float
    started_at: float | None
    ended_at: float | None
    task_revision: int | None
    exit_code: int | None
    duration_seconds: float | None
    peak_memory_bytes: int | None
    outputs: list[dict[str, Any]]
    message: str | None
    launched_by: str | None = None

    @property
    def finished(self) -> bool:
        return self.status in (
            DagsterRunStatus.SUCCESS.value,
            DagsterRunStatus.FAILURE.value,
            DagsterRunStatus.CANCELED.value,
        )

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _view(instance: DagsterInstance, record: RunRecord, services: Services) -> RunView:
    run = record.dagster_run
    mine = services.runs.find(run.run_id)
    return RunView(
        run_id=run.run_id,
        task_name=run.tags.get(PARTITION_TAG) if run.job_name == JOB_NAME else run.tags.get(TASK_TAG),
        status=run.status.value,
        trigger=run.tags.get(TRIGGER_TAG),
        created_at=record.create_timestamp.timestamp(),
        started_at=record.start_time,
        ended_at=record.end_time,
        task_revision=mine.task_revision if mine else None,
        exit_code=mine.exit_code if mine else None,
        duration_seconds=mine.duration_seconds if mine else None,
        peak_memory_bytes=mine.peak_memory_bytes if mine else None,
        outputs=list(mine.outputs or []) if mine else [],
        message=mine.message if mine else _failure_message(instance, record),
        launched_by=run.tags.get(LAUNCHED_BY_TAG),
    )


def _failure_message(instance: DagsterInstance, record: RunRecord) -> str | None:
    """For runs bgtasks keeps no record of (prebuilt tasks, runs refused before they started): the
    error of the failed step, of the run, or of the engine (a run coordinator's refusal)."""
    if record.dagster_run.status != DagsterRunStatus.FAILURE:
        return None
    failures = instance.all_logs(
        record.dagster_run.run_id,
        of_type={DagsterEventType.STEP_FAILURE, DagsterEventType.RUN_FAILURE, DagsterEventType.ENGINE_EVENT},
    )
    for entry in failures:
        data = entry.dagster_event.event_specific_data if entry.dagster_event else None
        error = getattr(data, "error", None)
        if error is not None:
            return error.message.strip()
    failures = [
        e for e in failures if e.dagster_event and e.dagster_event.event_type != DagsterEventType.ENGINE_EVENT
    ]
    return failures[-1].dagster_event.message if failures and failures[-1].dagster_event else None


def _is_task_run(record: RunRecord) -> bool:
    run = record.dagster_run
    return run.job_name == JOB_NAME or is_prebuilt(run.tags.get(TASK_TAG, ""))


def run_view(instance: DagsterInstance, services: Services, run_id: str) -> RunView:
    records = instance.get_run_records(RunsFilter(run_ids=[run_id]), limit=1)
    if not records or not _is_task_run(records[0]):
        raise NotFound(f"run {run_id!r} does not exist", field="run_id")
    return _view(instance, records[0], services)


def task_runs(
    instance: DagsterInstance, services: Services, task_name: str | None, limit: int = 20
) -> list[RunView]:
    """Newest runs first, of one task (user or prebuilt) or of all user tasks."""
    if task_name and is_prebuilt(task_name):
        runs_filter = RunsFilter(tags={TASK_TAG: task_name})
    else:
        runs_filter = RunsFilter(job_name=JOB_NAME, tags={PARTITION_TAG: task_name} if task_name else {})
    records = instance.get_run_records(runs_filter, limit=limit)
    return [_view(instance, record, services) for record in records]


def run_dir(services: Services, run_id: str) -> Path:
    return services.settings.runs_root / run_id


def output_file(services: Services, run_id: str, name: str) -> Path:
    """The stored output file ``name`` of ``run_id``; names cannot leave the run's output directory."""
    record = services.runs.get(run_id)
    known = {item["name"] for item in (record.outputs or [])}
    if name not in known:
        raise NotFound(f"run {run_id} has no output file {name!r}", field="name")
    path = run_dir(services, run_id) / "outputs" / name
    if not path.is_file():
        raise NotFound(f"output file {name!r} of run {run_id} is no longer stored", field="name")
    return path


def task_log(services: Services, run_id: str) -> Path:
    services.runs.get(run_id)
    return run_dir(services, run_id) / "task.log"

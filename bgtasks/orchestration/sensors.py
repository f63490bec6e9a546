"""Recurrence: one dispatcher sensor for every task's cron schedule, one sensor for "run after".

One sensor instead of one Dagster schedule per task keeps the code location static: creating or
changing a schedule is a row in the registry, seen on the next tick, with no reload at any task
count. Due tasks are found with an indexed query on ``next_run_at``, so a tick costs the same at
10 tasks and at 10,000.
"""

import time
from datetime import UTC, datetime

from dagster import (
    DagsterRunStatus,
    DefaultSensorStatus,
    RunRequest,
    RunStatusSensorContext,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    run_status_sensor,
    sensor,
)

from bgtasks.orchestration.job import background_task_job
from bgtasks.orchestration.tags import PARTITION_TAG, TRIGGER_TAG
from bgtasks.registry.cron import fire_times_between, next_fire_after
from bgtasks.registry.tasks import TaskService
from bgtasks.services import services_for

SCHEDULED_FOR_TAG = "bgtasks/scheduled_for"
UPSTREAM_RUN_TAG = "bgtasks/upstream_run"
DISPATCH_INTERVAL_SECONDS = 10


def due_run_requests(tasks: TaskService, now: float) -> tuple[list[RunRequest], list[str]]:
    """Run requests for every task whose schedule fired by ``now``, each task moved to its next time.

    A task whose fire times were missed (the daemon was down) runs once, for the latest missed time,
    the way Dagster's own schedules catch up by default; the skipped times are reported.
    """
    requests: list[RunRequest] = []
    notes: list[str] = []
    for task in tasks.due(now):
        assert task.schedule is not None and task.next_run_at is not None
        fired_at = task.next_run_at
        later = fire_times_between(task.schedule, task.timezone, fired_at, now)
        latest = later[-1].timestamp() if later else fired_at
        if later:
            notes.append(f"{task.name}: {len(later)} missed fire time(s) skipped, running for the latest")
        if not tasks.advance(task.name, fired_at, next_fire_after(task.schedule, task.timezone, now)):
            continue  # another evaluation dispatched it
        scheduled_for = datetime.fromtimestamp(latest, UTC).isoformat()
        requests.append(
            RunRequest(
                run_key=f"{task.name}@{scheduled_for}",
                partition_key=task.name,
                tags={TRIGGER_TAG: "schedule", SCHEDULED_FOR_TAG: scheduled_for},
            )
        )
    return requests, notes


@sensor(
    name="task_schedules",
    job=background_task_job,
    minimum_interval_seconds=DISPATCH_INTERVAL_SECONDS,
    default_status=DefaultSensorStatus.RUNNING,
    description="Starts every task whose cron schedule is due (each in its own time zone).",
)
def task_schedules_sensor(context: SensorEvaluationContext) -> SensorResult | SkipReason:
    services = services_for(context.instance)
    requests, notes = due_run_requests(services.tasks, time.time())
    for note in notes:
        context.log.warning(note)
    if not requests:
        return SkipReason("no task is due")
    return SensorResult(run_requests=requests)


@run_status_sensor(
    name="task_triggers",
    run_status=DagsterRunStatus.SUCCESS,
    monitored_jobs=[background_task_job],
    request_job=background_task_job,
    default_status=DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=5,
    description="Starts the tasks that run after a task succeeds.",
)
def task_triggers_sensor(context: RunStatusSensorContext):
    upstream = context.dagster_run.tags.get(PARTITION_TAG)
    if not upstream:
        return
    services = services_for(context.instance)
    for task in services.tasks.triggered_by(upstream):
        yield RunRequest(
            run_key=f"{task.name}<-{context.dagster_run.run_id}",
            partition_key=task.name,
            tags={TRIGGER_TAG: f"after:{upstream}", UPSTREAM_RUN_TAG: context.dagster_run.run_id},
        )

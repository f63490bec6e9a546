"""Registry records as the permission policy sees them."""

from __future__ import annotations

from dagster import DagsterRun

from bgtasks.errors import NotFound
from bgtasks.orchestration.tags import JOB_NAME, LAUNCHED_BY_TAG, PARTITION_TAG, TASK_TAG
from bgtasks.permissions.policy import RunResource, TaskResource
from bgtasks.registry.prebuilt import get_prebuilt, is_prebuilt
from bgtasks.services import Services

PREBUILT_OWNER = "bgtasks"


def task_resource(services: Services, name: str) -> TaskResource:
    """The task ``name`` (user or prebuilt) with its owner; NotFound when neither exists."""
    if is_prebuilt(name):
        return TaskResource(get_prebuilt(name).name, PREBUILT_OWNER, prebuilt=True)
    return TaskResource(name, services.tasks.get(name).owner)


def run_resource(services: Services, run: DagsterRun) -> RunResource:
    name = run.tags.get(PARTITION_TAG) if run.job_name == JOB_NAME else run.tags.get(TASK_TAG)
    task = None
    if name:
        try:
            task = task_resource(services, name)
        except NotFound:
            task = None  # the task was deleted since: only the launcher or an admin may stop its runs
    return RunResource(run.run_id, task, run.tags.get(LAUNCHED_BY_TAG))

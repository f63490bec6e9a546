"""One asset, one job and one schedule per prebuilt task, named as ``catalog_tasks`` says; schedules
start stopped."""

from __future__ import annotations

import dagster as dg

from prebuilt_assets.catalog_tasks import PrebuiltTask


def task_asset(task: PrebuiltTask, code_version: str, kinds: frozenset[str] = frozenset({"parquet"})):
    """The ``@dg.asset`` decorator of a task's asset: its key, group, description and tags from the task."""
    return dg.asset(
        key=dg.AssetKey(list(task.asset_key)),
        group_name=task.group,
        description=task.description,
        kinds=set(kinds),
        code_version=code_version,
        tags={"bgtasks/task": task.name},
    )


def task_job(task: PrebuiltTask) -> dg.UnresolvedAssetJobDefinition:
    """The job users launch: the task's asset and its checks, tagged so the core can find the task."""
    return dg.define_asset_job(
        name=task.job_name,
        selection=dg.AssetSelection.assets(dg.AssetKey(list(task.asset_key))),
        description=f"{task.title}: fetch and publish a new version of Source {task.source!r}.",
        tags={"bgtasks/task": task.name, "bgtasks/kind": "prebuilt", "bgtasks/source": task.source},
    )


def task_schedule(task: PrebuiltTask, job: dg.UnresolvedAssetJobDefinition) -> dg.ScheduleDefinition:
    return dg.ScheduleDefinition(
        name=task.schedule_name,
        job=job,
        cron_schedule=task.cron,
        execution_timezone=task.timezone,
        default_status=dg.DefaultScheduleStatus.STOPPED,
        description=f"{task.title}: {task.cadence}. Stopped until an operator starts it.",
    )

"""Launching a task run from our own edges (CLI, REST API), through Dagster's normal path.

The run is created like ``dagster job launch`` creates it and submitted to the instance's run
coordinator, so it is pinned, tagged, guarded and launched exactly like a run from the UI.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from dagster import DagsterInstance, DagsterRun
from dagster._core.remote_origin import InProcessCodeLocationOrigin
from dagster._core.types.loadable_target_origin import LoadableTargetOrigin
from dagster._core.utils import make_new_run_id
from dagster._core.workspace.context import BaseWorkspaceRequestContext, WorkspaceProcessContext
from dagster._core.workspace.load_target import InProcessWorkspaceLoadTarget

from bgtasks.orchestration.pinning import pin_run, run_config_for, spec_tags
from bgtasks.orchestration.tags import JOB_NAME, PARTITION_TAG, TRIGGER_TAG
from bgtasks.registry.runs import RunOverrides
from bgtasks.services import services_for

LOCATION_NAME = "bgtasks"
DEFINITIONS_MODULE = "bgtasks.orchestration.definitions"


@contextmanager
def in_process_workspace(instance: DagsterInstance) -> Iterator[BaseWorkspaceRequestContext]:
    """The ``bgtasks`` code location loaded in this process, named as workspace.yaml names it."""
    origin = InProcessCodeLocationOrigin(
        LoadableTargetOrigin(
            executable_path=sys.executable, module_name=DEFINITIONS_MODULE, attribute="defs"
        ),
        location_name=LOCATION_NAME,
    )
    with WorkspaceProcessContext(instance, InProcessWorkspaceLoadTarget(origin)) as process_context:
        yield process_context.create_request_context()


def launch_task(
    instance: DagsterInstance,
    workspace: BaseWorkspaceRequestContext,
    task_name: str,
    overrides: RunOverrides | None = None,
    tags: Mapping[str, str] | None = None,
) -> DagsterRun:
    """Create and submit a run of ``task_name``. Unknown tasks and bad overrides change nothing."""
    services = services_for(instance)
    services.tasks.get(task_name)  # NotFound before anything is created
    overrides = overrides or RunOverrides()
    run_config = run_config_for(overrides)
    # Pinned before the run exists, so its tags are written with it (one storage write less).
    run_id = make_new_run_id()
    spec = pin_run(services, run_id, task_name, run_config)
    code_location = workspace.get_code_location(LOCATION_NAME)
    repository = next(iter(code_location.get_repositories().values()))
    remote_job = repository.get_full_job(JOB_NAME)
    plan = code_location.get_execution_plan(
        remote_job, run_config, step_keys_to_execute=None, known_state=None, instance=instance
    )
    try:
        run = _create_run(
            instance,
            code_location,
            repository,
            remote_job,
            plan,
            run_id,
            run_config,
            {
                **remote_job.tags,
                TRIGGER_TAG: "manual",
                **(tags or {}),
                **spec_tags(spec),
                PARTITION_TAG: task_name,
            },
        )
    except BaseException:
        services.runs.unpin(run_id)
        raise
    return instance.submit_run(run.run_id, workspace)


def _create_run(
    instance, code_location, repository, remote_job, plan, run_id, run_config, tags
) -> DagsterRun:
    return instance.create_run(
        job_name=JOB_NAME,
        run_id=run_id,
        run_config=run_config,
        resolved_op_selection=None,
        step_keys_to_execute=plan.execution_plan_snapshot.step_keys_to_execute,
        op_selection=None,
        status=None,
        root_run_id=None,
        parent_run_id=None,
        tags=tags,
        job_snapshot=remote_job.job_snapshot,
        execution_plan_snapshot=plan.execution_plan_snapshot,
        parent_job_snapshot=remote_job.parent_job_snapshot,
        remote_job_origin=remote_job.get_remote_origin(),
        job_code_origin=remote_job.get_python_origin(),
        asset_selection=None,
        asset_check_selection=None,
        asset_graph=repository.asset_graph,
    )

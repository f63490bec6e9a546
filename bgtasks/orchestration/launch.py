"""Launching runs from our own edges (CLI, REST API), through Dagster's normal path.

A run is created like ``dagster job launch`` creates it and submitted to the instance's run
coordinator, so it is pinned, tagged, guarded and launched exactly like a run from the UI.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from dagster import DagsterInstance, DagsterRun
from dagster._core.remote_origin import InProcessCodeLocationOrigin
from dagster._core.types.loadable_target_origin import LoadableTargetOrigin
from dagster._core.utils import make_new_run_id
from dagster._core.workspace.context import BaseWorkspaceRequestContext, WorkspaceProcessContext
from dagster._core.workspace.load_target import InProcessWorkspaceLoadTarget

from bgtasks.errors import NotFound
from bgtasks.orchestration.pinning import pin_run, run_config_for, spec_tags
from bgtasks.orchestration.run_identity import LaunchIdentity, identity_tags, local_identity
from bgtasks.orchestration.tags import JOB_NAME, PARTITION_TAG, TRIGGER_TAG
from bgtasks.registry.runs import RunOverrides
from bgtasks.services import services_for

LOCATION_NAME = "bgtasks"
PREBUILT_LOCATION_NAME = "prebuilt_assets"
# Code locations as workspace.yaml names them: name -> module holding `defs`.
LOCATIONS = {
    LOCATION_NAME: "bgtasks.orchestration.definitions",
    PREBUILT_LOCATION_NAME: "prebuilt_assets.definitions",
}


@contextmanager
def in_process_workspace(
    instance: DagsterInstance, locations: Sequence[str] = (LOCATION_NAME,)
) -> Iterator[BaseWorkspaceRequestContext]:
    """Code locations loaded in this process, named as workspace.yaml names them."""
    origins = [
        InProcessCodeLocationOrigin(
            LoadableTargetOrigin(
                executable_path=sys.executable, module_name=LOCATIONS[name], attribute="defs"
            ),
            location_name=name,
        )
        for name in locations
    ]
    with WorkspaceProcessContext(instance, InProcessWorkspaceLoadTarget(origins)) as process_context:
        yield process_context.create_request_context()


def launch_task(
    instance: DagsterInstance,
    workspace: BaseWorkspaceRequestContext,
    task_name: str,
    overrides: RunOverrides | None = None,
    tags: Mapping[str, str] | None = None,
    identity: LaunchIdentity | None = None,
    run_id: str | None = None,
) -> DagsterRun:
    """Create and submit a run of ``task_name``. Unknown tasks and bad overrides change nothing.

    ``identity`` is who launches (default: the local operator, for the CLI); the run coordinator
    checks it against the permission policy.
    """
    services = services_for(instance)
    services.tasks.get(task_name)  # NotFound before anything is created
    run_config = run_config_for(overrides or RunOverrides())
    # Pinned before the run exists, so its tags are written with it (one storage write less).
    run_id = run_id or make_new_run_id()
    spec = pin_run(services, run_id, task_name, run_config)
    run_tags = {TRIGGER_TAG: "manual", **(tags or {}), **spec_tags(spec), PARTITION_TAG: task_name}
    try:
        return launch_job(
            instance,
            workspace,
            LOCATION_NAME,
            JOB_NAME,
            run_config,
            run_tags,
            run_id=run_id,
            identity=identity,
        )
    except BaseException:
        services.runs.unpin(run_id)
        raise


def launch_job(
    instance: DagsterInstance,
    workspace: BaseWorkspaceRequestContext,
    location_name: str,
    job_name: str,
    run_config: Mapping[str, Any],
    tags: Mapping[str, str],
    run_id: str | None = None,
    identity: LaunchIdentity | None = None,
) -> DagsterRun:
    """Create a run of any job in the workspace, signed with the launcher's identity (default: the
    local operator), and submit it to the run coordinator."""
    identity = identity or local_identity()
    run = create_job_run(instance, workspace, location_name, job_name, run_config, tags, run_id, identity)
    return instance.submit_run(run.run_id, workspace)


def create_job_run(
    instance: DagsterInstance,
    workspace: BaseWorkspaceRequestContext,
    location_name: str,
    job_name: str,
    run_config: Mapping[str, Any],
    tags: Mapping[str, str],
    run_id: str | None = None,
    identity: LaunchIdentity | None = None,
) -> DagsterRun:
    """Create (not submit) a run of a job, as ``dagster job launch`` creates it; signed when an
    ``identity`` is given."""
    code_location = workspace.get_code_location(location_name)
    repository = next(iter(code_location.get_repositories().values()))
    if not repository.has_job(job_name):
        raise NotFound(f"job {job_name!r} does not exist in code location {location_name!r}", field="job")
    remote_job = repository.get_full_job(job_name)
    plan = code_location.get_execution_plan(
        remote_job, run_config, step_keys_to_execute=None, known_state=None, instance=instance
    )
    run_id = run_id or make_new_run_id()
    signed = identity_tags(run_id, job_name, tags.get(PARTITION_TAG), identity) if identity else {}
    return instance.create_run(
        job_name=job_name,
        run_id=run_id,
        run_config=run_config,
        resolved_op_selection=None,
        step_keys_to_execute=plan.execution_plan_snapshot.step_keys_to_execute,
        op_selection=None,
        status=None,
        root_run_id=None,
        parent_run_id=None,
        tags={**remote_job.tags, **tags, **signed},
        job_snapshot=remote_job.job_snapshot,
        execution_plan_snapshot=plan.execution_plan_snapshot,
        parent_job_snapshot=remote_job.parent_job_snapshot,
        remote_job_origin=remote_job.get_remote_origin(),
        job_code_origin=remote_job.get_python_origin(),
        asset_selection=None,
        asset_check_selection=None,
        asset_graph=repository.asset_graph,
    )

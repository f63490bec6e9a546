"""The run-launch guard: the run coordinator that admits a run only for an identity the policy allows.

Every launch path ends in the run coordinator's ``submit_run``. The guard finds who launches, in
this order, and refuses the run (Dagster then marks it failed with the message) when nobody does:

1. the web UI and GraphQL: the identity header the server's middleware signed for this request;
2. the daemon (schedules, sensors, backfills): the task's owner, when this process is the daemon
   started by ``bgtasks daemon`` (a flag in memory, which no other process can set);
3. our own edges (REST API, bgtasks CLI): identity tags signed over this run's id;
4. a shell (``dagster job launch``): the API token in ``BGTASKS_TOKEN``.

Launches from the web UI and from a shell may not bring their own ``bgtasks/*`` tags or the tags
Dagster reserves for its schedules, sensors and backfills: a run cannot pose as a scheduled one.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from dagster import DagsterRun
from dagster._core.run_coordinator import SubmitRunContext

from bgtasks.errors import BgtasksError, PermissionDenied, Unauthenticated
from bgtasks.orchestration.coordinator import TaskRunCoordinator
from bgtasks.orchestration.run_identity import (
    LOCAL_PREFIX,
    SYSTEM_NAME,
    LaunchIdentity,
    identity_tags,
    signed_identity,
)
from bgtasks.orchestration.tags import JOB_NAME, LAUNCHED_BY_TAG, PARTITION_TAG, TASK_TAG
from bgtasks.permissions.internal_header import IDENTITY_HEADER, read_header
from bgtasks.permissions.policy import Action, LaunchRequest, Principal, Role, TaskResource, check
from bgtasks.registry.prebuilt import get_prebuilt, is_prebuilt, list_prebuilt
from bgtasks.services import Services, services_for

TOKEN_ENV = "BGTASKS_TOKEN"
PARENT_RUN_TAG = "dagster/parent_run_id"
# Set by Dagster's daemons for their own runs; a launch from outside may not bring them.
INSTIGATOR_TAGS = {
    "dagster/schedule_name": "schedule",
    "dagster/sensor_name": "sensor",
    "dagster/backfill": "backfill",
}
RESERVED_DAGSTER_TAGS = {
    *INSTIGATOR_TAGS,
    "dagster/scheduled_execution_time",
    "dagster/run_key",
    "dagster/tick",
}

_daemon_process = False


def mark_daemon_process() -> None:
    """Called by ``bgtasks daemon`` before it starts Dagster's daemon in this same process."""
    global _daemon_process
    _daemon_process = True


def is_daemon_process() -> bool:
    return _daemon_process


def system_principal() -> Principal:
    return Principal(SYSTEM_NAME, kind="system")


def local_principal(name: str) -> Principal:
    """The operator's shell on the server (the bgtasks CLI): holds the instance's key, acts as admin."""
    return Principal(name, frozenset({Role.ADMIN}), kind="local")


def refuse(run: DagsterRun, reason: str, unauthenticated: bool = False) -> BgtasksError:
    error = Unauthenticated if unauthenticated else PermissionDenied
    return error(f"bgtasks refused run {run.run_id}: {reason}")


class GuardedRunCoordinator(TaskRunCoordinator):
    """TaskRunCoordinator that checks every run against the permission policy before it starts."""

    def admit(self, context: SubmitRunContext) -> dict[str, str]:
        run = context.dagster_run
        services = services_for(self._instance)
        try:
            principal, via, tags = self._identify(context, services)
        except BgtasksError as exc:
            services.audit.record(
                getattr(exc, "claimed", None) or run.tags.get(LAUNCHED_BY_TAG) or "unknown",
                Action.TASK_RUN.value,
                run_target(run),
                outcome="denied",
                via=self._path(context),
                detail={"run_id": run.run_id, "reason": exc.message},
            )
            raise
        resource = launch_request(run, services)
        decision = check(principal, Action.TASK_RUN, resource)
        target = f"task:{resource.task.name}" if resource.task else f"job:{run.job_name}"
        services.audit.record(
            principal.name,
            Action.TASK_RUN.value,
            target,
            outcome="ok" if decision.allowed else "denied",
            via=via,
            detail={"run_id": run.run_id, **({} if decision.allowed else {"reason": decision.reason})},
        )
        if not decision.allowed:
            raise refuse(run, f"{principal.name} may not run this: {decision.reason}")
        return tags

    def _identify(
        self, context: SubmitRunContext, services: Services
    ) -> tuple[Principal, str, dict[str, str]]:
        run = context.dagster_run
        header = context.get_request_header(IDENTITY_HEADER)
        if header is not None:
            name = read_header(header)
            if name is None:
                raise refuse(run, "the request's identity header is forged or stale", unauthenticated=True)
            principal = self._active_user(run, services, name)
            self._check_tags(context)
            return principal, "ui", self._sign(run, LaunchIdentity(name, "ui"))
        if is_daemon_process():
            via = next((v for tag, v in INSTIGATOR_TAGS.items() if tag in run.tags), "daemon")
            owner = task_owner(run, services)
            if owner is None:
                return system_principal(), via, self._sign(run, LaunchIdentity(SYSTEM_NAME, via))
            principal = self._active_user(run, services, owner, role="the task's owner")
            return principal, via, self._sign(run, LaunchIdentity(owner, via))
        identity = signed_identity(run.run_id, run.job_name, run.tags)
        if identity is not None:
            if identity.name.startswith(LOCAL_PREFIX):
                return local_principal(identity.name), identity.via, {}
            if identity.name == SYSTEM_NAME:
                return system_principal(), identity.via, {}
            return self._active_user(run, services, identity.name), identity.via, {}
        token = os.environ.get(TOKEN_ENV)
        if token:
            holder = services.tokens.resolve(token.strip())
            if holder is None:
                raise refuse(run, f"{TOKEN_ENV} is not a valid API token (unknown, revoked or expired)", True)
            self._check_tags(context)
            return holder, "shell", self._sign(run, LaunchIdentity(holder.name, "shell"))
        raise refuse(
            run,
            "it carries no identity. Launch runs from the web UI or the REST API, or from a shell with "
            f"{TOKEN_ENV}=<API token> in the environment (create one with 'bgtasks tokens create USER NAME')",
            unauthenticated=True,
        )

    @staticmethod
    def _path(context: SubmitRunContext) -> str:
        if context.get_request_header(IDENTITY_HEADER) is not None:
            return "ui"
        if is_daemon_process():
            run = context.dagster_run
            return next((v for tag, v in INSTIGATOR_TAGS.items() if tag in run.tags), "daemon")
        return "shell"

    def _active_user(self, run: DagsterRun, services: Services, name: str, role: str = "user") -> Principal:
        principal = services.users.active_principal(name)
        if principal is None:
            error = refuse(run, f"{role} {name!r} is not an active bgtasks user", unauthenticated=True)
            error.claimed = name  # type: ignore[attr-defined]  # the audit log names who it was
            raise error
        return principal

    @staticmethod
    def _sign(run: DagsterRun, identity: LaunchIdentity) -> dict[str, str]:
        return identity_tags(run.run_id, run.job_name, run.tags.get(PARTITION_TAG), identity)

    def _check_tags(self, context: SubmitRunContext) -> None:
        """Refuse reserved tags the launcher brought itself (not the job's own, not inherited)."""
        run = context.dagster_run
        allowed: dict[str, str] = dict(job_definition_tags(context))
        parent_id = run.tags.get(PARENT_RUN_TAG)
        parent = self._instance.get_run_by_id(parent_id) if parent_id else None
        if parent is not None:
            allowed.update(parent.tags)
        for key, value in run.tags.items():
            if is_reserved_tag(key) and allowed.get(key) != value:
                raise refuse(
                    run, f"tag {key!r} is set by bgtasks or Dagster itself; a launch may not bring it"
                )


def run_target(run: DagsterRun) -> str:
    if run.job_name == JOB_NAME:
        return f"task:{run.tags.get(PARTITION_TAG, '?')}"
    return f"task:{run.tags[TASK_TAG]}" if TASK_TAG in run.tags else f"job:{run.job_name}"


def is_reserved_tag(key: str) -> bool:
    return key.startswith("bgtasks/") or key in RESERVED_DAGSTER_TAGS


def job_definition_tags(context: SubmitRunContext) -> Mapping[str, str]:
    run = context.dagster_run
    origin = run.remote_job_origin
    if origin is None:
        return {}
    try:
        location = context.workspace.get_code_location(origin.location_name)
        repository = location.get_repository(origin.repository_origin.repository_name)
        return repository.get_full_job(run.job_name).tags
    except Exception:  # an unloaded location: no definition tags to allow
        return {}


def task_owner(run: DagsterRun, services: Services) -> str | None:
    """The owner of the user task a run belongs to; None for prebuilt tasks and other jobs."""
    if run.job_name != JOB_NAME:
        return None
    partition = run.tags.get(PARTITION_TAG)
    if not partition:
        raise refuse(run, "a background_task run needs a partition: the task's name")
    try:
        return services.tasks.get(partition).owner
    except BgtasksError as exc:
        raise refuse(run, str(exc)) from exc


def launch_request(run: DagsterRun, services: Services) -> LaunchRequest:
    """What the run launches, as the policy sees it: a user task, a prebuilt task, or another job."""
    if run.job_name == JOB_NAME:
        owner = task_owner(run, services)
        name = run.tags[PARTITION_TAG]
        return LaunchRequest(TaskResource(name, owner or ""))
    prebuilt_name = run.tags.get(TASK_TAG, "")
    if not is_prebuilt(prebuilt_name) and run.asset_selection:
        # The UI's "Materialize" on a prebuilt asset launches Dagster's implicit asset job.
        keys = {tuple(key.path) for key in run.asset_selection}
        matches = [task.name for task in list_prebuilt() if task.asset_key in keys]
        prebuilt_name = matches[0] if len(matches) == len(keys) == 1 else ""
    if is_prebuilt(prebuilt_name):
        try:
            task = get_prebuilt(prebuilt_name)
        except BgtasksError:
            return LaunchRequest(None)
        return LaunchRequest(
            TaskResource(task.name, "bgtasks", prebuilt=True), custom_config=bool(run.run_config)
        )
    return LaunchRequest(None)

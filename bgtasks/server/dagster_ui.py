"""dagster-webserver, built in our process, with Dagster's own permissions answered per user.

The request context tells Dagster what the signed-in user may do, so the UI shows the actions they
may not take as disabled buttons, and GraphQL mutations answer UnauthorizedError natively. Finer
rules (which runs a user may terminate) are the GraphQL guard's, and the run coordinator checks
every launch whatever the UI shows.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dagster._core.workspace.context import WorkspaceProcessContext, WorkspaceRequestContext
from dagster._core.workspace.permissions import (
    EDITOR_PERMISSIONS,
    LOCATION_SCOPED_PERMISSIONS,
    PermissionResult,
    Permissions,
)
from dagster_webserver.webserver import DagsterWebserver

from bgtasks.permissions.policy import Action, Principal, RunResource, check

PRINCIPAL_SCOPE_KEY = "bgtasks.principal"
# Actions every signed-in user may take in Dagster's UI: run tasks, re-run them, and terminate
# runs (the GraphQL guard and the per-run field below narrow termination to the runs they may stop).
RUNNER_PERMISSIONS = {
    Permissions.LAUNCH_PIPELINE_EXECUTION,
    Permissions.LAUNCH_PIPELINE_REEXECUTION,
    Permissions.TERMINATE_PIPELINE_EXECUTION,
}


def dagster_permissions(principal: Principal | None) -> dict[str, PermissionResult]:
    """Dagster's permission map for a principal: admins get Dagster's editor set, others run only."""
    result = {}
    for permission in Permissions:
        if principal is None:
            enabled = False
        elif principal.is_admin:
            enabled = EDITOR_PERMISSIONS[permission] and check(principal, Action.INSTANCE_OPERATE).allowed
        else:
            enabled = permission in RUNNER_PERMISSIONS
        reason = None if enabled else "Not allowed for your role in bgtasks (docs/security.md)"
        result[permission.value] = PermissionResult(enabled=enabled, disabled_reason=reason)
    return result


def principal_of(source: Any) -> Principal | None:
    scope = getattr(source, "scope", None)
    return scope.get(PRINCIPAL_SCOPE_KEY) if isinstance(scope, dict) else None


class BgtasksRequestContext(WorkspaceRequestContext):
    def __init__(self, *args: Any, principal: Principal | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.principal = principal
        self._permissions = dagster_permissions(principal)

    @property
    def permissions(self) -> Mapping[str, PermissionResult]:
        return self._permissions

    def permissions_for_location(self, *, location_name: str) -> Mapping[str, PermissionResult]:
        return {k: v for k, v in self._permissions.items() if k in LOCATION_SCOPED_PERMISSIONS}

    def permissions_for_owner(self, *, owner: str) -> Mapping[str, PermissionResult]:
        return {}


class BgtasksProcessContext(WorkspaceProcessContext):
    def create_request_context(self, source: object | None = None) -> WorkspaceRequestContext:
        return BgtasksRequestContext(
            instance=self._instance,
            current_workspace=self.get_current_workspace(),
            process_context=self,
            version=self.version,
            source=source,
            read_only=self._read_only,
            principal=principal_of(source),
        )


class RunTerminatePermission:
    """GraphQL field middleware: ``Run.hasTerminatePermission`` asks the policy about that run, so
    the UI disables Terminate on runs the user may not stop."""

    def __init__(self, run_resource: Any) -> None:
        self._run_resource = run_resource

    def resolve(self, next_: Any, root: Any, info: Any, **kwargs: Any) -> Any:
        result = next_(root, info, **kwargs)
        if info.field_name != "hasTerminatePermission" or result is not True:
            return result
        record = getattr(root, "_run_record", None)
        principal = getattr(info.context, "principal", None)
        if record is None or principal is None:
            return result
        resource: RunResource = self._run_resource(record.dagster_run)
        return check(principal, Action.RUN_TERMINATE, resource).allowed


class BgtasksWebserver(DagsterWebserver):
    def __init__(self, process_context: BgtasksProcessContext, run_resource: Any) -> None:
        self._run_resource = run_resource
        super().__init__(process_context, "")

    def build_graphql_middleware(self) -> list:
        return [RunTerminatePermission(self._run_resource)]

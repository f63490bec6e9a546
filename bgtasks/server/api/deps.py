"""What every route needs: the caller, the services, and one way to ask the policy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from dagster import DagsterInstance
from dagster._core.workspace.context import IWorkspaceProcessContext
from fastapi import Depends, Request

from bgtasks.errors import PermissionDenied, Unauthenticated
from bgtasks.permissions.policy import Action, Principal, Resource, check
from bgtasks.server.dagster_ui import PRINCIPAL_SCOPE_KEY
from bgtasks.services import Services


@dataclass
class ServerState:
    instance: DagsterInstance
    services: Services
    process_context: IWorkspaceProcessContext


def state(request: Request) -> ServerState:
    return request.app.state.bgtasks


def caller(request: Request) -> Principal:
    principal = request.scope.get(PRINCIPAL_SCOPE_KEY)
    if principal is None:  # the middleware lets no anonymous request through; kept as a backstop
        raise Unauthenticated("sign in or send Authorization: Bearer <token>")
    return principal


Caller = Annotated[Principal, Depends(caller)]
State = Annotated[ServerState, Depends(state)]


def authorize(
    server: ServerState,
    principal: Principal,
    action: Action,
    resource: Resource = None,
    *,
    target: str = "",
    audit_denial: bool = True,
) -> None:
    """Ask the policy; a refusal raises (403/401) and, for changes, lands in the audit log."""
    decision = check(principal, action, resource)
    if decision.allowed:
        return
    if audit_denial:
        server.services.audit.record(
            principal.name,
            action.value,
            target or "-",
            outcome="denied",
            via="api",
            detail={"reason": decision.reason},
        )
    if decision.unauthenticated:
        raise Unauthenticated(decision.reason)
    raise PermissionDenied(decision.reason)


def audit(server: ServerState, principal: Principal, action: str, target: str, **detail: Any) -> None:
    server.services.audit.record(principal.name, action, target, via="api", detail=detail)

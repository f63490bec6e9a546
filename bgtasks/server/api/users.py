"""/api/me, /api/users and their tokens, /api/audit."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from bgtasks.permissions.policy import Action, UserResource
from bgtasks.server.api.deps import Caller, State, audit, authorize

router = APIRouter(tags=["users, tokens and audit"])


class NewUser(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    roles: list[str] = Field(default_factory=list, description="ADMIN, TASK_EDITOR, or none")
    password: str | None = Field(default=None, description="Omit for a user that signs in with tokens only")


class UserChanges(BaseModel):
    model_config = ConfigDict(extra="forbid")
    roles: list[str] | None = None
    password: str | None = None
    active: bool | None = None


class NewToken(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(description="What the token is for, e.g. 'ci'")
    expires_in_days: float | None = Field(default=None, description="Omit for a token that does not expire")


@router.get("/me", summary="Who the caller is")
def me(principal: Caller) -> dict[str, Any]:
    return {"name": principal.name, "roles": sorted(principal.roles), "kind": principal.kind}


@router.get("/users", summary="All users (admin)")
def list_users(server: State, principal: Caller) -> list[dict[str, Any]]:
    authorize(server, principal, Action.USER_MANAGE, audit_denial=False)
    return [user.to_json() for user in server.services.users.list()]


@router.post("/users", status_code=201, summary="Create a user (admin)")
def create_user(body: NewUser, server: State, principal: Caller) -> dict[str, Any]:
    authorize(server, principal, Action.USER_MANAGE, target=f"user:{body.name}")
    user = server.services.users.create(body.name, body.roles, body.password)
    audit(server, principal, "user.create", f"user:{user.name}", roles=list(user.roles))
    return user.to_json()


@router.get("/users/{name}", summary="One user (admin, or the user)")
def get_user(name: str, server: State, principal: Caller) -> dict[str, Any]:
    authorize(server, principal, Action.USER_VIEW, UserResource(name), audit_denial=False)
    return server.services.users.get(name).to_json()


@router.patch("/users/{name}", summary="Change roles, password or active flag (admin)")
def update_user(name: str, body: UserChanges, server: State, principal: Caller) -> dict[str, Any]:
    authorize(server, principal, Action.USER_MANAGE, target=f"user:{name}")
    user = server.services.users.update(name, roles=body.roles, password=body.password, active=body.active)
    changed = sorted(body.model_dump(exclude_unset=True))
    audit(
        server,
        principal,
        "user.update",
        f"user:{name}",
        fields=changed,
        roles=list(user.roles),
        active=user.active,
    )
    return user.to_json()


@router.delete(
    "/users/{name}", status_code=204, summary="Disable a user: sessions end, tokens are revoked (admin)"
)
def disable_user(name: str, server: State, principal: Caller) -> Response:
    authorize(server, principal, Action.USER_MANAGE, target=f"user:{name}")
    server.services.users.update(name, active=False)
    audit(server, principal, "user.disable", f"user:{name}")
    return Response(status_code=204)


@router.get("/users/{name}/tokens", summary="A user's API tokens, without their secrets (admin, or the user)")
def list_tokens(name: str, server: State, principal: Caller) -> list[dict[str, Any]]:
    authorize(server, principal, Action.TOKEN_MANAGE, UserResource(name), audit_denial=False)
    return [token.to_json() for token in server.services.tokens.list(name)]


@router.post(
    "/users/{name}/tokens", status_code=201, summary="New API token, shown once (admin, or the user)"
)
def create_token(name: str, body: NewToken, server: State, principal: Caller) -> dict[str, Any]:
    authorize(server, principal, Action.TOKEN_MANAGE, UserResource(name), target=f"user:{name}")
    secret, token = server.services.tokens.create(name, body.name, body.expires_in_days)
    audit(server, principal, "token.create", f"user:{name}", token_id=token.id, token_name=token.name)
    return {**token.to_json(), "token": secret}


@router.delete(
    "/users/{name}/tokens/{token_id}", status_code=204, summary="Revoke an API token (admin, or the user)"
)
def revoke_token(name: str, token_id: int, server: State, principal: Caller) -> Response:
    authorize(server, principal, Action.TOKEN_MANAGE, UserResource(name), target=f"user:{name}")
    token = server.services.tokens.revoke(name, token_id)
    audit(server, principal, "token.revoke", f"user:{name}", token_id=token.id, token_name=token.name)
    return Response(status_code=204)


@router.get("/audit", summary="The audit log, newest first (admin)")
def read_audit(
    server: State,
    principal: Caller,
    limit: int = 100,
    before_id: int | None = None,
    actor: str | None = None,
    action: str | None = None,
    target: str | None = None,
) -> list[dict[str, Any]]:
    authorize(server, principal, Action.AUDIT_READ, audit_denial=False)
    entries = server.services.audit.list(
        limit=max(1, min(limit, 1000)), before_id=before_id, actor=actor, action=action, target=target
    )
    return [entry.to_json() for entry in entries]

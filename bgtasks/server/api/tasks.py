"""/api/tasks: list, view, create, update, delete, and take ownership."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Body, Depends, Response
from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel, ConfigDict

from bgtasks.errors import InvalidInput
from bgtasks.permissions.policy import Action, Role
from bgtasks.registry.models import Task, TaskInput
from bgtasks.registry.prebuilt import get_prebuilt, list_prebuilt
from bgtasks.server.api.deps import Caller, ServerState, State, audit, authorize, caller, state
from bgtasks.server.resources import PREBUILT_OWNER, task_resource

router = APIRouter(prefix="/tasks", tags=["tasks"])


class TaskChanges(BaseModel):
    """Fields to change; the ones left out keep their values. ``null`` clears schedule and run_after."""

    model_config = ConfigDict(extra="forbid")
    description: str | None = None
    image: str | None = None
    command: list[str] | None = None
    env: dict[str, str] | None = None
    template: str | None = None
    schedule: str | None = None
    timezone: str | None = None
    run_after: str | None = None
    enabled: bool | None = None


class OwnerChange(BaseModel):
    """Empty: the caller becomes the owner. An admin may name another user."""

    model_config = ConfigDict(extra="forbid")
    owner: str | None = None


def task_json(task: Task) -> dict[str, Any]:
    return {"kind": "task", **jsonable_encoder(task.model_dump())}


def prebuilt_json(name: str) -> dict[str, Any]:
    data = asdict(get_prebuilt(name))
    return {"kind": "prebuilt", "owner": PREBUILT_OWNER, **jsonable_encoder(data)}


def require(action: Action):
    """Authorize before the body is read: a refused caller gets 403, never a validation error."""

    def dependency(server: State, principal: Caller) -> None:
        authorize(server, principal, action, target="task:-")

    return Depends(dependency)


@router.get("", summary="List tasks, user tasks first, then the prebuilt ones")
def list_tasks(server: State, principal: Caller, include_prebuilt: bool = True) -> list[dict[str, Any]]:
    authorize(server, principal, Action.TASK_LIST, audit_denial=False)
    found = [task_json(task) for task in server.services.tasks.list()]
    if include_prebuilt:
        found += [prebuilt_json(task.name) for task in list_prebuilt()]
    return found


@router.get("/{name}", summary="One task")
def get_task(name: str, server: State, principal: Caller) -> dict[str, Any]:
    resource = task_resource(server.services, name)
    authorize(server, principal, Action.TASK_VIEW, resource, audit_denial=False)
    return prebuilt_json(name) if resource.prebuilt else task_json(server.services.tasks.get(name))


@router.post(
    "",
    status_code=201,
    summary="Create a task; the caller becomes its owner (TASK_EDITOR)",
    dependencies=[require(Action.TASK_CREATE)],
)
def create_task(body: TaskInput, server: State, principal: Caller, response: Response) -> dict[str, Any]:
    task = server.services.tasks.create(body.model_dump(), owner=principal.name)
    audit(server, principal, "task.create", f"task:{task.name}", revision=task.revision, image=task.image)
    response.headers["Location"] = f"/api/tasks/{task.name}"
    return task_json(task)


def _owned(name: str, server: ServerState, principal, action: Action):
    resource = task_resource(server.services, name)
    authorize(server, principal, action, resource, target=f"task:{name}")
    return resource


def owned_for(action: Action):
    def dependency(name: str, server: ServerState = Depends(state), principal=Depends(caller)):  # noqa: B008
        return _owned(name, server, principal, action)

    return Depends(dependency)


@router.patch(
    "/{name}",
    summary="Change a task (its owner, with TASK_EDITOR)",
    dependencies=[owned_for(Action.TASK_UPDATE)],
)
def update_task(name: str, body: TaskChanges, server: State, principal: Caller) -> dict[str, Any]:
    changes = body.model_dump(exclude_unset=True)
    if not changes:
        raise InvalidInput("nothing to change", field=None)
    task = server.services.tasks.update(name, changes)
    audit(server, principal, "task.update", f"task:{name}", revision=task.revision, fields=sorted(changes))
    return task_json(task)


@router.delete(
    "/{name}",
    status_code=204,
    summary="Delete a task (its owner, with TASK_EDITOR)",
    dependencies=[owned_for(Action.TASK_DELETE)],
)
def delete_task(name: str, server: State, principal: Caller) -> Response:
    server.services.tasks.delete(name)
    audit(server, principal, "task.delete", f"task:{name}")
    return Response(status_code=204)


@router.put(
    "/{name}/owner",
    summary="Take ownership: the caller becomes the task's one owner (TASK_EDITOR)",
    dependencies=[owned_for(Action.TASK_TAKE_OWNERSHIP)],
)
def take_ownership(
    name: str,
    server: State,
    principal: Caller,
    body: OwnerChange | None = Body(default=None),  # noqa: B008
) -> dict[str, Any]:
    new_owner = (body.owner if body else None) or principal.name
    if new_owner != principal.name:
        authorize(server, principal, Action.USER_MANAGE, target=f"task:{name}")
        user = server.services.users.get(new_owner)
        if not user.active or (
            Role.TASK_EDITOR.value not in user.roles and Role.ADMIN.value not in user.roles
        ):
            raise InvalidInput(f"user {new_owner!r} is disabled or lacks TASK_EDITOR", field="owner")
    previous = server.services.tasks.get(name).owner
    task = server.services.tasks.set_owner(name, new_owner)
    audit(server, principal, "task.take_ownership", f"task:{name}", previous_owner=previous, owner=new_owner)
    return task_json(task)

"""The permission policy: a pure function of (principal, action, resource), deny by default.

The product's rules (see docs/security.md):

- Users with TASK_EDITOR create tasks, and update or delete the tasks they own.
- Users without task permissions list and view tasks and run them; nothing else on tasks.
- The creator of a task is its owner; a task has exactly one owner. A TASK_EDITOR may take
  ownership of any task (the previous owner loses update and delete).
- A run may be terminated by whoever launched it, by the owner of its task (with TASK_EDITOR),
  and by an admin.
- An admin manages users, roles, tokens and launch templates, and may do everything.
- Prebuilt tasks are defined in code: nobody changes them through the service.

An action that no rule classifies is refused, for every principal, admins included.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "ADMIN"
    TASK_EDITOR = "TASK_EDITOR"


class Action(StrEnum):
    TASK_LIST = "task.list"
    TASK_VIEW = "task.view"
    TASK_CREATE = "task.create"
    TASK_UPDATE = "task.update"
    TASK_DELETE = "task.delete"
    TASK_TAKE_OWNERSHIP = "task.take_ownership"
    TASK_RUN = "task.run"
    RUN_VIEW = "run.view"
    RUN_TERMINATE = "run.terminate"
    TEMPLATE_VIEW = "template.view"
    TEMPLATE_MANAGE = "template.manage"
    IMAGE_VIEW = "image.view"
    IMAGE_MANAGE = "image.manage"
    USER_VIEW = "user.view"
    USER_MANAGE = "user.manage"
    TOKEN_MANAGE = "token.manage"
    AUDIT_READ = "audit.read"
    # Dagster operations outside the task model: schedules and sensors on/off, reloads, backfills,
    # asset wipes and reports, concurrency limits, debug exports.
    INSTANCE_OPERATE = "instance.operate"
    # Harmless per-user UI state (Dagster's "seen the intro" flag, telemetry no-ops).
    UI_PREFERENCE = "ui.preference"


@dataclass(frozen=True)
class Principal:
    """Who asks. ``kind`` is "user" (a person or program with a login or token), "local" (the
    operator's shell on the server: the bgtasks CLI), or "system" (the service itself)."""

    name: str
    roles: frozenset[Role] = field(default_factory=frozenset)
    kind: str = "user"
    user_id: int | None = None

    @property
    def is_admin(self) -> bool:
        return Role.ADMIN in self.roles

    def has(self, role: Role) -> bool:
        return role in self.roles


@dataclass(frozen=True)
class TaskResource:
    name: str
    owner: str
    prebuilt: bool = False


@dataclass(frozen=True)
class LaunchRequest:
    """A run about to be launched. ``task`` is None for a job that is no task at all;
    ``custom_config`` says the launch carries run config beyond the task's own overrides."""

    task: TaskResource | None
    custom_config: bool = False


@dataclass(frozen=True)
class RunResource:
    run_id: str
    task: TaskResource | None
    launched_by: str | None


@dataclass(frozen=True)
class UserResource:
    """A user account, as the subject of token management or a profile view."""

    name: str


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str
    # True when the refusal is for lack of any identity: HTTP 401 rather than 403.
    unauthenticated: bool = False

    def __bool__(self) -> bool:
        return self.allowed


Resource = TaskResource | LaunchRequest | RunResource | UserResource | None
Rule = Callable[[Principal, Resource], Decision]

ALLOW = Decision(True, "allowed")


def _deny(reason: str) -> Decision:
    return Decision(False, reason)


def _anyone(_principal: Principal, _resource: Resource) -> Decision:
    return ALLOW


def _admin_only(what: str) -> Rule:
    def rule(principal: Principal, _resource: Resource) -> Decision:
        return ALLOW if principal.is_admin else _deny(f"only an admin may {what}")

    return rule


def _editor(what: str) -> Rule:
    def rule(principal: Principal, _resource: Resource) -> Decision:
        if principal.is_admin or principal.has(Role.TASK_EDITOR):
            return ALLOW
        return _deny(f"{what} needs the TASK_EDITOR role")

    return rule


def _owned_task(verb: str) -> Rule:
    def rule(principal: Principal, resource: Resource) -> Decision:
        if not isinstance(resource, TaskResource):
            return _deny(f"{verb} needs a task")
        if resource.prebuilt:
            return _deny(f"prebuilt task {resource.name!r} is defined in code and cannot be changed")
        if principal.is_admin:
            return ALLOW
        if not principal.has(Role.TASK_EDITOR):
            return _deny(f"to {verb} a task needs the TASK_EDITOR role")
        if resource.owner != principal.name:
            return _deny(
                f"task {resource.name!r} is owned by {resource.owner!r}: only its owner may {verb} it "
                "(a TASK_EDITOR can take ownership first)"
            )
        return ALLOW

    return rule


def _take_ownership(principal: Principal, resource: Resource) -> Decision:
    if not isinstance(resource, TaskResource):
        return _deny("taking ownership needs a task")
    if resource.prebuilt:
        return _deny(f"prebuilt task {resource.name!r} is defined in code and has no owner to change")
    if principal.is_admin or principal.has(Role.TASK_EDITOR):
        return ALLOW
    return _deny("taking ownership of a task needs the TASK_EDITOR role")


def _run_task(principal: Principal, resource: Resource) -> Decision:
    # With no resource the caller asks "may this principal launch at all" (the GraphQL guard);
    # the run coordinator then checks the concrete launch.
    if resource is None or principal.is_admin:
        return ALLOW
    if not isinstance(resource, LaunchRequest):
        return _deny("running needs a launch request")
    if resource.task is None:
        return _deny("only an admin may launch a job that is not a task")
    if resource.task.prebuilt and resource.custom_config:
        return _deny("only an admin may launch a prebuilt task with run config")
    return ALLOW


def _terminate(principal: Principal, resource: Resource) -> Decision:
    if principal.is_admin:
        return ALLOW
    if not isinstance(resource, RunResource):
        return _deny("terminating needs a run")
    if resource.launched_by is not None and resource.launched_by == principal.name:
        return ALLOW
    task = resource.task
    if task is not None and principal.has(Role.TASK_EDITOR) and task.owner == principal.name:
        return ALLOW
    return _deny(
        f"run {resource.run_id} was launched by {resource.launched_by or 'someone else'}: only its "
        "launcher, the owner of its task (with TASK_EDITOR) or an admin may terminate it"
    )


def _own_account(what: str) -> Rule:
    def rule(principal: Principal, resource: Resource) -> Decision:
        if principal.is_admin:
            return ALLOW
        if (
            isinstance(resource, UserResource)
            and principal.kind == "user"
            and resource.name == principal.name
        ):
            return ALLOW
        return _deny(f"only an admin may {what} of another user")

    return rule


RULES: dict[Action, Rule] = {
    Action.TASK_LIST: _anyone,
    Action.TASK_VIEW: _anyone,
    Action.TASK_CREATE: _editor("creating a task"),
    Action.TASK_UPDATE: _owned_task("update"),
    Action.TASK_DELETE: _owned_task("delete"),
    Action.TASK_TAKE_OWNERSHIP: _take_ownership,
    Action.TASK_RUN: _run_task,
    Action.RUN_VIEW: _anyone,
    Action.RUN_TERMINATE: _terminate,
    Action.TEMPLATE_VIEW: _anyone,
    Action.TEMPLATE_MANAGE: _admin_only("manage launch templates"),
    Action.IMAGE_VIEW: _anyone,
    Action.IMAGE_MANAGE: _editor("managing images"),
    Action.USER_VIEW: _own_account("view the account"),
    Action.USER_MANAGE: _admin_only("manage users and roles"),
    Action.TOKEN_MANAGE: _own_account("manage the API tokens"),
    Action.AUDIT_READ: _admin_only("read the audit log"),
    Action.INSTANCE_OPERATE: _admin_only("operate Dagster itself (schedules, sensors, reloads, backfills)"),
    Action.UI_PREFERENCE: _anyone,
}


def check(principal: Principal | None, action: Action | str, resource: Resource = None) -> Decision:
    """May ``principal`` do ``action`` on ``resource``? Pure: no I/O, no clock.

    No principal: refused as unauthenticated. An action without a rule: refused for everyone.
    """
    if principal is None:
        return Decision(
            False, "sign in or send an API token (Authorization: Bearer ...)", unauthenticated=True
        )
    try:
        rule = RULES[Action(action)]
    except (KeyError, ValueError):
        return _deny(f"action {action!r} is not classified by the permission policy: refused")
    return rule(principal, resource)

"""Who may do what: principals, roles, actions and the one pure ``check`` every edge asks.

The server (REST routes, GraphQL guard, Dagster's own UI permissions) and the run coordinator all
ask :func:`bgtasks.permissions.policy.check`; none of them decides on its own.
"""

from bgtasks.permissions.policy import (
    Action,
    Decision,
    LaunchRequest,
    Principal,
    Role,
    RunResource,
    TaskResource,
    UserResource,
    check,
)

__all__ = [
    "Action",
    "Decision",
    "LaunchRequest",
    "Principal",
    "Role",
    "RunResource",
    "TaskResource",
    "UserResource",
    "check",
]

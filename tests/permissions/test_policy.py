"""The permission policy as a pure function: every role against every action, no HTTP, no database."""

from __future__ import annotations

import pytest

from bgtasks.permissions.policy import (
    RULES,
    Action,
    LaunchRequest,
    Principal,
    Role,
    RunResource,
    TaskResource,
    UserResource,
    check,
)

ADMIN = Principal("root-admin", frozenset({Role.ADMIN}))
OWNER = Principal("olga", frozenset({Role.TASK_EDITOR}))
EDITOR = Principal("ed", frozenset({Role.TASK_EDITOR}))
VIEWER = Principal("vic")

TASK = TaskResource("hello", owner="olga")
PREBUILT = TaskResource("prebuilt.ecb_mfi", owner="bgtasks", prebuilt=True)
RUN_BY_VIEWER = RunResource("r1", TASK, launched_by="vic")
RUN_BY_ADMIN = RunResource("r2", TASK, launched_by="root-admin")

# (action, resource) -> who is allowed, among admin, owner, editor, viewer.
EXPECTED = [
    (Action.TASK_LIST, None, {"admin", "owner", "editor", "viewer"}),
    (Action.TASK_VIEW, TASK, {"admin", "owner", "editor", "viewer"}),
    (Action.TASK_CREATE, None, {"admin", "owner", "editor"}),
    (Action.TASK_UPDATE, TASK, {"admin", "owner"}),
    (Action.TASK_DELETE, TASK, {"admin", "owner"}),
    (Action.TASK_TAKE_OWNERSHIP, TASK, {"admin", "owner", "editor"}),
    (Action.TASK_RUN, LaunchRequest(TASK), {"admin", "owner", "editor", "viewer"}),
    (Action.TASK_RUN, LaunchRequest(PREBUILT), {"admin", "owner", "editor", "viewer"}),
    (Action.TASK_RUN, LaunchRequest(PREBUILT, custom_config=True), {"admin"}),
    (Action.TASK_RUN, LaunchRequest(None), {"admin"}),
    (Action.RUN_VIEW, RUN_BY_VIEWER, {"admin", "owner", "editor", "viewer"}),
    (Action.RUN_TERMINATE, RUN_BY_VIEWER, {"admin", "owner", "viewer"}),
    (Action.RUN_TERMINATE, RUN_BY_ADMIN, {"admin", "owner"}),
    (Action.TEMPLATE_VIEW, None, {"admin", "owner", "editor", "viewer"}),
    (Action.TEMPLATE_MANAGE, None, {"admin"}),
    (Action.IMAGE_VIEW, None, {"admin", "owner", "editor", "viewer"}),
    (Action.IMAGE_MANAGE, None, {"admin", "owner", "editor"}),
    (Action.USER_MANAGE, None, {"admin"}),
    (Action.USER_VIEW, UserResource("vic"), {"admin", "viewer"}),
    (Action.TOKEN_MANAGE, UserResource("ed"), {"admin", "editor"}),
    (Action.AUDIT_READ, None, {"admin"}),
    (Action.INSTANCE_OPERATE, None, {"admin"}),
    (Action.UI_PREFERENCE, None, {"admin", "owner", "editor", "viewer"}),
]
PRINCIPALS = {"admin": ADMIN, "owner": OWNER, "editor": EDITOR, "viewer": VIEWER}


@pytest.mark.parametrize(("action", "resource", "allowed"), EXPECTED, ids=lambda v: str(v)[:40])
def test_matrix(action, resource, allowed):
    for role, principal in PRINCIPALS.items():
        decision = check(principal, action, resource)
        assert decision.allowed == (role in allowed), (role, action, decision.reason)
        assert decision.reason


def test_every_action_has_a_rule_and_the_matrix_covers_every_action():
    assert set(RULES) == set(Action)
    assert {action for action, _, _ in EXPECTED} == set(Action)


def test_nobody_is_allowed_anything_without_an_identity():
    for action in Action:
        decision = check(None, action, TASK)
        assert not decision.allowed and decision.unauthenticated


@pytest.mark.parametrize("action", ["task.rename", "launchSomethingNew", ""])
def test_an_unclassified_action_is_refused_even_to_an_admin(action):
    decision = check(ADMIN, action)
    assert not decision.allowed and not decision.unauthenticated
    assert "not classified" in decision.reason


@pytest.mark.parametrize("action", [Action.TASK_UPDATE, Action.TASK_DELETE, Action.TASK_TAKE_OWNERSHIP])
def test_prebuilt_tasks_cannot_be_changed_even_by_an_admin(action):
    assert not check(ADMIN, action, PREBUILT).allowed


def test_ownership_moves_update_rights():
    before = TaskResource("hello", owner="olga")
    after = TaskResource("hello", owner="ed")
    assert check(OWNER, Action.TASK_UPDATE, before) and not check(EDITOR, Action.TASK_UPDATE, before)
    assert check(EDITOR, Action.TASK_UPDATE, after) and not check(OWNER, Action.TASK_UPDATE, after)
    assert "owned by 'ed'" in check(OWNER, Action.TASK_DELETE, after).reason


def test_an_owner_who_lost_task_editor_can_no_longer_change_the_task():
    former = Principal("olga")
    assert not check(former, Action.TASK_UPDATE, TASK).allowed


def test_resource_actions_without_a_resource_are_refused():
    for action in (Action.TASK_UPDATE, Action.TASK_DELETE, Action.TASK_TAKE_OWNERSHIP, Action.RUN_TERMINATE):
        assert not check(EDITOR, action, None).allowed


def test_a_local_operator_with_the_admin_role_manages_users_but_has_no_own_tokens():
    local = Principal("local:root", frozenset({Role.ADMIN}), kind="local")
    assert check(local, Action.USER_MANAGE)
    other_local = Principal("local:ann", kind="local")
    assert not check(other_local, Action.TOKEN_MANAGE, UserResource("local:ann")).allowed

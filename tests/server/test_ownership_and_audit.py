"""Ownership hand-over end to end, and the audit log of every kind of change, over real HTTP."""

from __future__ import annotations

import pytest
import requests

from tests.server.conftest import PASSWORDS

pytestmark = [pytest.mark.e2e, pytest.mark.docker]


def test_taking_ownership_moves_the_right_to_change_the_task(server):
    task = server.create_task("owner")
    assert (
        server.api("editor", "PATCH", f"/tasks/{task}", json={"description": "ed before"}).status_code == 403
    )
    taken = server.api("editor", "PUT", f"/tasks/{task}/owner")
    assert (taken.status_code, taken.json()["owner"]) == (200, "ed")
    refused = server.api("owner", "PATCH", f"/tasks/{task}", json={"description": "olga after"})
    assert refused.status_code == 403
    assert refused.json()["error"]["message"].startswith(f"task {task!r} is owned by 'ed'")
    assert server.api("owner", "DELETE", f"/tasks/{task}").status_code == 403
    changed = server.api("editor", "PATCH", f"/tasks/{task}", json={"description": "ed after"})
    assert (changed.status_code, changed.json()["description"], changed.json()["revision"]) == (
        200,
        "ed after",
        2,
    )
    # the viewer, without TASK_EDITOR, cannot take it
    assert server.api("viewer", "PUT", f"/tasks/{task}/owner").status_code == 403
    assert server.api("admin", "GET", f"/tasks/{task}").json()["owner"] == "ed"

    entries = server.audit(target=f"task:{task}")
    seen = [(e["actor"], e["action"], e["outcome"]) for e in reversed(entries)]
    assert seen == [
        ("olga", "task.create", "ok"),
        ("ed", "task.update", "denied"),
        ("ed", "task.take_ownership", "ok"),
        ("olga", "task.update", "denied"),
        ("olga", "task.delete", "denied"),
        ("ed", "task.update", "ok"),
        ("vic", "task.take_ownership", "denied"),
    ]
    handover = next(e for e in entries if e["action"] == "task.take_ownership" and e["outcome"] == "ok")
    assert handover["detail"] == {"previous_owner": "olga", "owner": "ed"}
    assert all(e["at"] and e["via"] == "api" for e in entries)


def test_an_admin_may_hand_a_task_to_another_editor_but_an_editor_only_to_themselves(server):
    task = server.create_task("owner")
    assert server.api("editor", "PUT", f"/tasks/{task}/owner", json={"owner": "olga"}).status_code == 403
    given = server.api("admin", "PUT", f"/tasks/{task}/owner", json={"owner": "ed"})
    assert (given.status_code, given.json()["owner"]) == (200, "ed")
    not_editor = server.api("admin", "PUT", f"/tasks/{task}/owner", json={"owner": "vic"})
    assert (not_editor.status_code, not_editor.json()["error"]["field"]) == (422, "owner")


def test_runs_terminations_logins_and_token_changes_are_audited(server):
    task = server.create_task("owner", command=["sleep", "60"])
    run_id = server.start_run("viewer", task)
    server.wait_run(run_id, {"STARTED"})
    assert server.api("viewer", "POST", f"/runs/{run_id}/terminate").status_code == 202
    failed = requests.post(
        f"{server.url}/login",
        data={"username": "vic", "password": "not-it"},
        headers={"Origin": server.url},
        allow_redirects=False,
        timeout=30,
    )
    assert failed.status_code == 401
    created = server.api("viewer", "POST", "/users/vic/tokens", json={"name": "mine", "expires_in_days": 1})
    assert created.status_code == 201 and created.json()["token"].startswith("bgt_")
    assert server.api("viewer", "DELETE", f"/users/vic/tokens/{created.json()['id']}").status_code == 204
    assert server.api("viewer", "POST", "/users/olga/tokens", json={"name": "theirs"}).status_code == 403

    def find(action: str, outcome: str = "ok", **fields) -> dict:
        for entry in server.audit(action=action):
            if entry["outcome"] == outcome and all(entry[k] == v for k, v in fields.items()):
                return entry
        raise AssertionError(f"no audit entry {action} {outcome} {fields}")

    assert find("task.run", actor="vic", target=f"task:{task}")["detail"]["run_id"] == run_id
    assert find("run.terminate", actor="vic", target=f"run:{run_id}")
    assert find("login", "denied", actor="vic")["detail"]["reason"] == "wrong user name or password"
    assert find("token.create", actor="vic", target="user:vic")["detail"]["token_name"] == "mine"
    assert find("token.revoke", actor="vic", target="user:vic")
    assert find("token.manage", "denied", actor="vic", target="user:olga")
    # a successful login is recorded too, and the password itself never is
    ok = requests.post(
        f"{server.url}/login",
        data={"username": "vic", "password": PASSWORDS["viewer"]},
        headers={"Origin": server.url},
        allow_redirects=False,
        timeout=30,
    )
    assert ok.status_code == 303
    assert find("login", actor="vic")
    assert PASSWORDS["viewer"] not in str(server.audit())

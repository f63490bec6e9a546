"""Changing tasks while the service runs: no restart, no reload, and no drift of submitted runs."""

from __future__ import annotations

import time

import pytest

from tests.conftest import TEST_IMAGE
from tests.e2e.conftest import GATED, unique, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.docker]


def test_a_task_created_while_serving_is_a_partition_at_once_and_gone_when_deleted(server):
    name = unique("live")

    server.cli("tasks", "create", name, "--image", TEST_IMAGE, "--command", "echo created live")
    created = time.monotonic()
    wait_until(lambda: name in server.partition_keys(), 3, f"partition {name} in the UI")
    assert time.monotonic() - created <= 3

    run_id = server.launch_run(name)
    assert server.wait_for_run(run_id)["status"] == "SUCCESS"
    assert "created live" in [event.get("message") for event in server.events(run_id)]

    server.services.tasks.delete(name)  # `bgtasks tasks delete` is this call (tests/cli runs it)
    deleted = time.monotonic()
    wait_until(lambda: name not in server.partition_keys(), 3, f"partition {name} to go")
    assert time.monotonic() - deleted <= 3
    refused = server.launch(name)
    assert refused["__typename"] == "PythonError", refused
    assert f"task '{name}' does not exist" in refused["message"]
    assert [run["status"] for run in server.runs_of(name)] == ["FAILURE", "SUCCESS"]


def test_a_running_run_keeps_its_definition_when_the_task_changes(server):
    name = unique("drift")
    server.create_task(name, TEST_IMAGE, command=GATED, env={"MSG": "old"})
    first = server.launch_run(name)
    server.wait_for_run(first, statuses={"STARTED"})

    updated = server.cli("tasks", "update", name, "--env", "MSG=new")

    assert "(revision 2)" in updated.stdout
    assert server.run(first)["status"] == "STARTED", "the run ended before the update: nothing was tested"
    server.release_gate(first)
    run = server.wait_for_run(first)
    assert run["status"] == "SUCCESS"
    assert run["tags"]["bgtasks/task_revision"] == "1"
    messages = [event.get("message") for event in server.events(first)]
    assert "first=old" in messages
    assert "second=old" in messages

    second = server.launch_run(name)
    server.release_gate(second)
    run = server.wait_for_run(second)
    assert run["status"] == "SUCCESS"
    assert run["tags"]["bgtasks/task_revision"] == "2"
    messages = [event.get("message") for event in server.events(second)]
    assert "first=new" in messages
    assert "second=new" in messages

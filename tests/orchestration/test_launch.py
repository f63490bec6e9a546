"""Launching through Dagster's normal path: coordinator pinning, refusals that change nothing."""

from __future__ import annotations

import time

import pytest

from bgtasks.errors import InvalidInput, NotFound
from bgtasks.orchestration.launch import in_process_workspace, launch_task
from bgtasks.registry.models import validated
from bgtasks.registry.runs import RunOverrides

pytestmark = pytest.mark.docker


def wait_finished(instance, run_id, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = instance.get_run_by_id(run_id)
        if run.is_finished:
            return run
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} still {run.status} after {timeout} s")


def test_unknown_task_and_bad_overrides_create_no_run(instance, services, hello_task):
    with in_process_workspace(instance) as workspace:
        with pytest.raises(NotFound):
            launch_task(instance, workspace, "nope")
        with pytest.raises(InvalidInput) as raised:
            launch_task(instance, workspace, "hello", validated(RunOverrides, {"env": {"1X": "y"}}))
    assert raised.value.field == "env"
    assert instance.get_runs_count() == 0


def test_submitted_run_keeps_the_definition_it_was_pinned_to(instance, services, hello_task):
    services.tasks.update("hello", {"command": ["sh", "-c", "sleep 1; echo greeting=$GREETING"]})
    with in_process_workspace(instance) as workspace:
        run = launch_task(instance, workspace, "hello")
        # The task changes while the run is under way (no warm worker here: a run process is spawned).
        services.tasks.update("hello", {"env": {"GREETING": "changed"}})
    assert run.tags["bgtasks/task_revision"] == "2"
    finished = wait_finished(instance, run.run_id)
    assert finished.status.value == "SUCCESS"
    assert finished.tags["bgtasks/launcher"] == "spawn"
    messages = [entry.user_message for entry in instance.all_logs(run.run_id)]
    assert "greeting=hello" in messages and "greeting=changed" not in messages
    assert services.runs.get(run.run_id).spec.env == {"GREETING": "hello"}

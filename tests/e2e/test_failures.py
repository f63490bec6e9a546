"""Runs that fail tell the user why, the same through the real launcher as in the runner's own tests.

The three failing runs are started together (they are independent) and each test checks one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from tests.conftest import TEST_IMAGE
from tests.e2e.conftest import build_throwaway_image, unique

pytestmark = [pytest.mark.e2e, pytest.mark.docker]


@dataclass
class FailedRun:
    run_id: str
    tags: dict[str, str]
    view: dict  # the run as `bgtasks runs list --json` shows it
    step_errors: list[str]  # the step failure errors of the event log


@pytest.fixture(scope="module")
def failed_runs(server) -> dict[str, FailedRun]:
    memory_template, time_template = unique("mem64"), unique("quick")
    limits = ["--cpus", "0.5", "--max-processes", "32"]
    server.cli_parallel(
        ["templates", "create", memory_template, *limits, "--memory", "64Mi", "--time-limit", "60s"],
        ["templates", "create", time_template, *limits, "--memory", "64Mi", "--time-limit", "3s"],
    )
    tasks = {"gone": unique("gone"), "memory": unique("hog"), "time": unique("sleeper")}
    tag = f"bgtasks/e2e-{tasks['gone']}:1"
    build_throwaway_image(server.docker, tag)
    try:
        server.services.images.register(tag)
        server.create_task(tasks["gone"], tag, command=["echo", "never"])
    finally:
        server.docker.images.remove(tag)  # the engine forgets it after it was registered
    server.create_task(tasks["memory"], TEST_IMAGE, command=["memhog", "200"], template=memory_template)
    server.create_task(
        tasks["time"], TEST_IMAGE, command=["sh", "-c", "echo sleeping; sleep 60"], template=time_template
    )

    run_ids = {kind: server.launch_run(name) for kind, name in tasks.items()}
    runs = {kind: server.wait_for_run(run_id, timeout=60) for kind, run_id in run_ids.items()}
    # One `bgtasks runs list --json` shows all three (the same view as `runs show RUN --json`).
    views = {view["run_id"]: view for view in json.loads(server.cli("runs", "list", "--json").stdout)}
    return {
        kind: FailedRun(
            run_id=run_id,
            tags=runs[kind]["tags"],
            view=views[run_id],
            step_errors=[
                event["error"]["message"]
                for event in server.events(run_id)
                if event["__typename"] == "ExecutionStepFailureEvent"
            ],
        )
        for kind, run_id in run_ids.items()
    }


def test_a_task_whose_image_left_the_engine_fails_saying_not_found(server, failed_runs):
    run = failed_runs["gone"]

    assert run.view["status"] == "FAILURE"
    assert "not found" in run.view["message"]
    assert run.view["exit_code"] is None
    assert len(run.step_errors) == 1 and "not found" in run.step_errors[0]
    assert server.containers_of_run(run.run_id) == []


def test_a_task_over_its_memory_limit_is_killed_saying_so(server, failed_runs):
    run = failed_runs["memory"]

    assert run.view["status"] == "FAILURE"
    assert run.view["message"].startswith("killed: exceeded memory limit 64 MiB\nlast log lines:\n")
    assert "memhog: 8 MiB allocated" in run.view["message"]
    assert run.view["exit_code"] == 137
    assert len(run.step_errors) == 1 and "killed: exceeded memory limit 64 MiB" in run.step_errors[0]
    assert run.tags["bgtasks/template"].endswith("@1")
    assert server.containers_of_run(run.run_id) == []


def test_a_task_over_its_time_limit_is_stopped_saying_so(server, failed_runs):
    run = failed_runs["time"]

    assert run.view["status"] == "FAILURE"
    assert run.view["message"] == "killed: time limit 3 s reached\nlast log lines:\n  sleeping"
    assert 3 <= run.view["duration_seconds"] < 15
    assert len(run.step_errors) == 1 and "killed: time limit 3 s reached" in run.step_errors[0]
    assert server.containers_of_run(run.run_id) == []

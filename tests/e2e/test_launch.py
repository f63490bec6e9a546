"""Launching a task through each front door of the running service; the warm worker runs it."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT, TEST_IMAGE
from tests.e2e.conftest import DAGSTER, GATED, HELLO_IMAGE, unique, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.docker]


def _pinned_tags(server, task_name: str, image: str) -> dict[str, str]:
    digest = server.services.images.get(image).digest
    return {
        "dagster/partition": task_name,
        "bgtasks/task": task_name,
        "bgtasks/task_revision": "1",
        "bgtasks/template": "small@1",
        "bgtasks/image": f"{image}@{digest[:19]}",
    }


def test_ui_launch_pins_the_run_and_shows_logs_and_outputs(server):
    name = unique("hello")
    greeting = f"hi from {name}"
    server.create_task(name, HELLO_IMAGE, env={"GREETING": greeting})

    run_id = server.launch_run(name)
    run = server.wait_for_run(run_id)

    assert run["status"] == "SUCCESS"
    assert _pinned_tags(server, name, HELLO_IMAGE).items() <= run["tags"].items()
    assert run["tags"]["bgtasks/trigger"] == "manual"
    assert run["tags"]["bgtasks/launcher"] == "warm"
    output, shown, logs = server.cli_parallel(
        ["outputs", run_id, "hello.txt"], ["runs", "show", run_id, "--json"], ["logs", run_id], binary=True
    )
    assert output.stdout.decode().startswith(f"{greeting} from a bgtasks Background Task at ")
    view = json.loads(shown.stdout)
    assert view["status"] == "SUCCESS"
    assert view["exit_code"] == 0
    assert view["task_revision"] == 1
    assert [(item["name"], item["bytes"]) for item in view["outputs"]] == [("hello.txt", len(output.stdout))]
    assert view["outputs"][0]["sha256"] == hashlib.sha256(output.stdout).hexdigest()
    lines = logs.stdout.decode().splitlines()
    assert lines[0].startswith("example-hello: starting as uid 65534")
    assert lines[1:] == [
        f"example-hello: greeting is '{greeting}'",
        f"example-hello: wrote /bgtasks/output/hello.txt ({len(output.stdout)} bytes)",
        "example-hello: done",
    ]
    # The event log has each container line as its own message, in the order the task wrote them.
    messages = [event.get("message") for event in server.events(run_id)]
    container_lines = [message for message in messages if message and message.startswith("example-hello:")]
    assert container_lines == lines


def test_dagster_job_launch_goes_through_the_same_pinning(server):
    name = unique("cli-launch")
    server.create_task(name, TEST_IMAGE, command=["echo", "launched by dagster job launch"])

    launched = subprocess.run(
        [
            DAGSTER,
            "job",
            "launch",
            "-w",
            "workspace.yaml",
            "-l",  # named, as it must be once workspace.yaml holds more than one code location
            "bgtasks",
            "-j",
            "background_task",
            "--tags",
            json.dumps({"dagster/partition": name}),
        ],
        env=server.env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )

    assert launched.returncode == 0, launched.stderr
    runs = wait_until(lambda: server.runs_of(name), 10, f"a run of {name}")
    assert len(runs) == 1
    run = server.wait_for_run(runs[0]["runId"])
    assert run["status"] == "SUCCESS"
    assert _pinned_tags(server, name, TEST_IMAGE).items() <= run["tags"].items()
    assert run["tags"]["bgtasks/trigger"] == "manual"
    assert run["tags"]["bgtasks/launcher"] == "warm"
    messages = [event.get("message") for event in server.events(run["runId"])]
    assert "launched by dagster job launch" in messages


def test_the_warm_worker_forks_the_run_process(server):
    from bgtasks.orchestration.worker_client import ask_worker

    name = unique("warm")
    server.create_task(name, TEST_IMAGE, command=GATED, env={"MSG": "warm"})
    worker_pid = ask_worker(server.settings.worker_socket_path, {"op": "ping"})["pid"]

    run_id = server.launch_run(name)
    running = server.wait_for_run(run_id, statuses={"STARTED"})

    assert running["tags"]["bgtasks/launcher"] == "warm"
    run_pid = int(running["tags"]["bgtasks/pid"])
    status = Path(f"/proc/{run_pid}/status").read_text()
    assert f"PPid:\t{worker_pid}\n" in status, "the run process is not a child of the warm worker"
    server.release_gate(run_id)
    assert server.wait_for_run(run_id)["status"] == "SUCCESS"
    wait_until(lambda: not Path(f"/proc/{run_pid}").exists(), 10, f"run process {run_pid} to be reaped")


def test_bgtasks_run_hands_its_run_to_the_warm_worker_and_waits(server):
    name = unique("cli-run")
    server.create_task(name, TEST_IMAGE, command=["sh", "-c", "echo from the cli > /bgtasks/output/cli.txt"])

    result = server.cli("run", name)

    lines = result.stdout.splitlines()
    assert "status: SUCCESS" in lines
    expected = b"from the cli\n"
    assert f"output: cli.txt  {len(expected)} bytes  sha256 {hashlib.sha256(expected).hexdigest()}" in lines
    run = server.run(lines[0].split()[1])
    assert run["tags"]["bgtasks/launcher"] == "warm"
    assert run["tags"]["bgtasks/trigger"] == "manual"
    assert run["tags"]["bgtasks/task_revision"] == "1"

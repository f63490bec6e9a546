"""The warm run worker as a real process: runs it serves, terminations, and a run process killed hard."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bgtasks.orchestration.launch import in_process_workspace, launch_task
from bgtasks.orchestration.worker_client import WorkerUnavailable, ask_worker
from tests.conftest import event_messages
from tests.orchestration.test_launch import wait_finished

pytestmark = pytest.mark.docker


@pytest.fixture
def warm_worker(dagster_home: Path, tmp_path: Path, monkeypatch):
    socket_path = tmp_path / "worker.sock"
    monkeypatch.setenv("BGTASKS_WORKER_SOCKET", str(socket_path))
    from bgtasks.settings import get_settings

    get_settings.cache_clear()
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "bgtasks"), "worker"], env=os.environ.copy()
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            ask_worker(socket_path, {"op": "ping"}, timeout=2)
            break
        except (WorkerUnavailable, OSError):
            assert process.poll() is None, "the worker exited"
            assert time.monotonic() < deadline, "the worker did not answer within 60 s"
            time.sleep(0.2)
    yield socket_path
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)


def containers_of(docker_engine, run_id):
    return docker_engine.containers_of_run(run_id)


def test_worker_runs_tasks_and_terminates_them_without_leaving_containers(
    warm_worker, instance, services, hello_task, docker_engine
):
    services.tasks.update("hello", {"command": ["sh", "-c", "echo started; sleep 300"]})
    with in_process_workspace(instance) as workspace:
        run = launch_task(instance, workspace, "hello")
    assert instance.get_run_by_id(run.run_id).tags["bgtasks/launcher"] == "warm"
    deadline = time.monotonic() + 30
    while "started" not in [e.user_message for e in instance.all_logs(run.run_id)]:
        assert time.monotonic() < deadline, "the task never started"
        time.sleep(0.2)
    assert len(containers_of(docker_engine, run.run_id)) == 1
    assert instance.run_coordinator.cancel_run(run.run_id)
    finished = wait_finished(instance, run.run_id, timeout=30)
    assert finished.status.value == "CANCELED"
    assert containers_of(docker_engine, run.run_id) == []
    assert services.runs.get(run.run_id).message == "terminated on request"


def test_run_process_killed_hard_fails_the_run_and_its_container_is_removed(
    warm_worker, instance, services, hello_task, docker_engine
):
    services.tasks.update("hello", {"command": ["sh", "-c", "echo started; sleep 300"]})
    with in_process_workspace(instance) as workspace:
        run = launch_task(instance, workspace, "hello")
    pid = int(instance.get_run_by_id(run.run_id).tags["bgtasks/pid"])
    deadline = time.monotonic() + 30
    while not containers_of(docker_engine, run.run_id):
        assert time.monotonic() < deadline, "no container started"
        time.sleep(0.2)
    os.kill(pid, signal.SIGKILL)  # no clean-up code in the run process gets to run
    finished = wait_finished(instance, run.run_id, timeout=30)
    assert finished.status.value == "FAILURE"
    messages = event_messages(instance, run.run_id)
    assert any("ended (signal 9) before the run finished" in m for m in messages), messages[-5:]
    assert containers_of(docker_engine, run.run_id) == []


def test_run_terminated_while_starting_ends_canceled_without_a_container(
    warm_worker, instance, services, hello_task, docker_engine
):
    services.tasks.update("hello", {"command": ["sh", "-c", "echo started; sleep 300"]})
    with in_process_workspace(instance) as workspace:
        run = launch_task(instance, workspace, "hello")
    assert instance.run_coordinator.cancel_run(run.run_id)  # at once: the run is still starting
    finished = wait_finished(instance, run.run_id, timeout=60)
    assert finished.status.value == "CANCELED"
    assert containers_of(docker_engine, run.run_id) == []

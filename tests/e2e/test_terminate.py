"""Terminating a run stops it at once and leaves no container behind: from the UI and from the CLI."""

from __future__ import annotations

import pytest

from tests.conftest import TEST_IMAGE
from tests.e2e.conftest import unique, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.docker]

TERMINATE = """
mutation Terminate($runId: String!) {
  terminateRun(runId: $runId) {
    __typename
    ... on TerminateRunSuccess { run { runId } }
    ... on TerminateRunFailure { message }
    ... on PythonError { message }
  }
}
"""


def _terminate_from_the_ui(server, run_id: str) -> None:
    answer = server.graphql(TERMINATE, {"runId": run_id})["terminateRun"]
    assert answer["__typename"] == "TerminateRunSuccess", answer


def _terminate_from_the_cli(server, run_id: str) -> None:
    assert server.cli("runs", "terminate", run_id).stdout == f"terminating run {run_id}\n"


@pytest.mark.parametrize(
    "terminate", [_terminate_from_the_ui, _terminate_from_the_cli], ids=["graphql", "cli"]
)
def test_terminate_cancels_the_run_and_removes_its_container(server, terminate):
    name = unique("long")
    server.create_task(name, TEST_IMAGE, command=["busyloop", "300"])
    run_id = server.launch_run(name)
    wait_until(lambda: server.containers_of_run(run_id, running_only=True), 60, "the task container to run")

    terminate(server, run_id)

    assert server.wait_for_run(run_id, timeout=15)["status"] == "CANCELED"
    assert server.containers_of_run(run_id) == []
    assert server.services.runs.get(run_id).message == "terminated on request"  # what `runs show` prints

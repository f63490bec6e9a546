"""The daemon starts runs by itself: cron schedules (task_schedules) and "run after" (task_triggers)."""

from __future__ import annotations

import time
from datetime import datetime

import pytest

from tests.conftest import TEST_IMAGE
from tests.e2e.conftest import unique, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.docker]


def test_a_due_schedule_starts_a_run(server):
    name = unique("cron")
    task = server.create_task(name, TEST_IMAGE, command=["echo", "scheduled"], schedule="* * * * *")
    assert task.next_run_at is not None and task.next_run_at > time.time()
    # Make the fire time due now rather than wait up to a minute for it (the sensor ticks every 10 s).
    assert server.services.tasks.advance(name, task.next_run_at, time.time() - 1)
    try:
        runs = wait_until(lambda: server.runs_of(name), 45, f"the schedule of {name} to start a run")
        run = server.wait_for_run(runs[-1]["runId"])
        moved_to = server.services.tasks.get(name).next_run_at
    finally:
        server.services.tasks.delete(name)  # it would fire every minute for the rest of the session

    assert run["status"] == "SUCCESS"
    assert run["tags"]["bgtasks/trigger"] == "schedule"
    assert run["tags"]["bgtasks/launcher"] == "warm"  # the daemon hands its runs to the worker too
    assert run["tags"]["bgtasks/task_revision"] == "1"
    assert run["tags"]["bgtasks/scheduled_for"]
    # The dispatcher moved the task to its next fire time: a whole minute, in the future.
    assert (
        moved_to is not None
        and moved_to % 60 == 0
        and moved_to > datetime.fromisoformat(run["tags"]["bgtasks/scheduled_for"]).timestamp()
    )
    assert "scheduled" in [event.get("message") for event in server.events(run["runId"])]


def test_a_successful_run_starts_the_tasks_that_run_after_it(server):
    upstream, downstream = unique("up"), unique("down")
    server.create_task(upstream, TEST_IMAGE, command=["echo", "upstream"])
    server.create_task(downstream, TEST_IMAGE, command=["echo", "downstream"], run_after=upstream)

    upstream_run = server.launch_run(upstream)

    assert server.wait_for_run(upstream_run)["status"] == "SUCCESS"
    runs = wait_until(lambda: server.runs_of(downstream), 45, f"a run of {downstream}")
    assert len(runs) == 1
    run = server.wait_for_run(runs[0]["runId"])
    assert run["status"] == "SUCCESS"
    assert run["tags"]["bgtasks/trigger"] == f"after:{upstream}"
    assert run["tags"]["bgtasks/upstream_run"] == upstream_run
    assert run["tags"]["bgtasks/launcher"] == "warm"
    assert "downstream" in [event.get("message") for event in server.events(run["runId"])]

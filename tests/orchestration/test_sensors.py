"""The schedule dispatcher and the trigger sensor, evaluated on a real instance and registry."""

from __future__ import annotations

import time

import pytest
from dagster import DagsterRunStatus, RunRequest, build_sensor_context

from bgtasks.orchestration.sensors import due_run_requests, task_schedules_sensor

pytestmark = pytest.mark.docker  # the fixtures register a real image; one test runs it


def test_due_task_gets_one_run_request_and_moves_to_its_next_fire_time(services, hello_task):
    task = services.tasks.update("hello", {"schedule": "*/5 * * * *"})
    requests, notes = due_run_requests(services.tasks, task.next_run_at + 1)
    assert [(r.partition_key, r.tags["bgtasks/trigger"]) for r in requests] == [("hello", "schedule")]
    assert notes == []
    assert services.tasks.get("hello").next_run_at == task.next_run_at + 300
    assert due_run_requests(services.tasks, task.next_run_at + 2) == ([], [])


def test_missed_fire_times_run_once_for_the_latest(services, hello_task):
    task = services.tasks.update("hello", {"schedule": "*/5 * * * *"})
    requests, notes = due_run_requests(services.tasks, task.next_run_at + 3 * 300 + 10)
    assert len(requests) == 1
    assert "3 missed fire time(s) skipped" in notes[0]


def test_disabled_and_unscheduled_tasks_are_not_dispatched(services, hello_task):
    task = services.tasks.update("hello", {"schedule": "*/5 * * * *"})
    services.tasks.update("hello", {"enabled": False})
    assert due_run_requests(services.tasks, task.next_run_at + 10) == ([], [])


def test_sensor_created_task_is_seen_on_the_next_tick_without_reload(instance, services, hello_task):
    context = build_sensor_context(instance=instance)
    assert task_schedules_sensor(context).skip_message == "no task is due"
    services.tasks.create({"name": "late", "image": hello_task.image, "schedule": "* * * * *"}, owner="ana")
    late = services.tasks.get("late")
    assert late.next_run_at <= time.time() + 60
    services.tasks.advance("late", late.next_run_at, time.time() - 1)  # as if the minute had come
    result = task_schedules_sensor(build_sensor_context(instance=instance))
    assert [r.partition_key for r in result.run_requests] == ["late"]
    assert isinstance(result.run_requests[0], RunRequest)


def test_trigger_sensor_requests_downstream_tasks_of_a_successful_run(instance, services, hello_task):
    from dagster import build_run_status_sensor_context

    from bgtasks.orchestration.definitions import defs
    from bgtasks.orchestration.sensors import task_triggers_sensor

    services.tasks.create({"name": "after", "image": hello_task.image, "run_after": "hello"}, owner="ana")
    result = defs.get_job_def("background_task").execute_in_process(instance=instance, partition_key="hello")
    run = instance.get_run_by_id(result.run_id)
    assert run.status == DagsterRunStatus.SUCCESS
    context = build_run_status_sensor_context(
        sensor_name="task_triggers",
        dagster_instance=instance,
        dagster_run=run,
        dagster_event=result.get_run_success_event(),
    )
    requests = list(task_triggers_sensor(context))
    assert [(r.partition_key, r.tags["bgtasks/trigger"]) for r in requests] == [("after", "after:hello")]

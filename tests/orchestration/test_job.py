"""The shared job's op against the real Docker Engine, executed in process on a real instance."""

from __future__ import annotations

import hashlib

import pytest

from bgtasks.orchestration.definitions import defs

pytestmark = pytest.mark.docker


def execute(instance, task_name, run_config=None):
    job = defs.get_job_def("background_task")
    return job.execute_in_process(
        instance=instance, partition_key=task_name, run_config=run_config or {}, raise_on_error=False
    )


def step_output_metadata(result):
    [event] = [e for e in result.all_events if e.event_type_value == "STEP_OUTPUT"]
    return event.event_specific_data.metadata


def test_run_records_exit_code_duration_memory_and_outputs(instance, services, hello_task):
    result = execute(instance, "hello")
    assert result.success
    metadata = step_output_metadata(result)
    assert metadata["exit_code"].value == 0
    assert metadata["duration_seconds"].value > 0
    [output] = metadata["outputs"].records
    assert output.data == {"name": "hi.txt", "bytes": 2, "sha256": hashlib.sha256(b"hi").hexdigest()}
    record = services.runs.get(result.run_id)
    assert (record.exit_code, record.outputs[0]["name"], record.message) == (0, "hi.txt", None)
    assert record.spec.image_digest == hello_task.image_digest
    messages = [entry.user_message for entry in instance.all_logs(result.run_id)]
    assert "greeting=hello" in messages
    assert instance.get_run_by_id(result.run_id).tags["bgtasks/exit_code"] == "0"


def test_run_config_overrides_env_and_command_for_one_run_only(instance, services, hello_task):
    result = execute(
        instance, "hello", {"ops": {"run_container": {"config": {"env": {"GREETING": "override"}}}}}
    )
    assert result.success
    assert "greeting=override" in [entry.user_message for entry in instance.all_logs(result.run_id)]
    assert services.tasks.get("hello").env == {"GREETING": "hello"}


def test_failing_task_fails_the_run_with_the_exit_message(instance, services, hello_task):
    services.tasks.update("hello", {"command": ["sh", "-c", "echo parsing; exit 3"]})
    result = execute(instance, "hello")
    assert not result.success
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert "exited with code 3" in failure.event_specific_data.error.message
    assert "parsing" in failure.event_specific_data.error.message
    assert services.runs.get(result.run_id).exit_code == 3


def test_run_of_unknown_task_fails_with_a_clear_message(instance, services, hello_task):
    instance.add_dynamic_partitions("tasks", ["ghost"])
    result = execute(instance, "ghost")
    assert not result.success
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert "task 'ghost' does not exist" in failure.event_specific_data.error.message

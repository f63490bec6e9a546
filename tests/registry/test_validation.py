"""Pure validation: every field a user can get wrong is named in the error."""

import pytest

from bgtasks.errors import InvalidInput
from bgtasks.registry.models import LaunchTemplateInput, TaskInput, validated

TEMPLATE = {"name": "tiny", "cpus": 0.25, "memory_mib": 64, "max_processes": 16, "time_limit_seconds": 30}


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"name": "Bad Name"}, "name", "not a valid name"),
        ({"name": "-x"}, "name", "not a valid name"),
        ({"cpus": 0}, "cpus", "greater than 0"),
        ({"cpus": 65}, "cpus", "less than or equal to 64"),
        ({"memory_mib": 4}, "memory_mib", "greater than or equal to 8"),
        ({"max_processes": 0}, "max_processes", "greater than or equal to 1"),
        ({"time_limit_seconds": 0}, "time_limit_seconds", "greater than or equal to 1"),
        ({"network": "host"}, "network", "'none' or 'bridge'"),
        ({"env": {"1BAD": "x"}}, "env", "not a valid environment variable name"),
        ({"env": {"BGTASKS_RUN_ID": "x"}}, "env", "reserved"),
        ({"run_as_user": "root; rm"}, "run_as_user", "not a user"),
        ({"colour": "red"}, "colour", "unknown field"),
    ],
)
def test_template_errors_name_the_field(changes, field, words):
    with pytest.raises(InvalidInput) as raised:
        validated(LaunchTemplateInput, {**TEMPLATE, **changes})
    assert raised.value.field == field
    assert words in raised.value.message


def test_valid_template_keeps_values_and_defaults_to_no_network_and_nobody():
    template = validated(LaunchTemplateInput, TEMPLATE)
    assert (template.cpus, template.memory_mib, template.network) == (0.25, 64, "none")
    assert template.run_as_user == "65534:65534"


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"schedule": "every day"}, "schedule", "not a valid cron expression"),
        ({"schedule": "61 * * * *"}, "schedule", "not a valid cron expression"),
        ({"timezone": "Mars/Olympus"}, "timezone", "not a known IANA time zone"),
        ({"env": {"A-B": "1"}}, "env", "not a valid environment variable name"),
        ({"image": ""}, "image", "at least 1 character"),
        ({"command": "echo hi"}, "command", "valid list"),
        ({"run_after": "No!"}, "run_after", "not a valid name"),
    ],
)
def test_task_errors_name_the_field(changes, field, words):
    with pytest.raises(InvalidInput) as raised:
        validated(TaskInput, {"name": "t", "image": "img:1", **changes})
    assert raised.value.field == field
    assert words in raised.value.message


def test_task_defaults():
    task = validated(TaskInput, {"name": "t", "image": "img:1"})
    assert (task.template, task.timezone, task.enabled, task.command) == ("small", "UTC", True, [])

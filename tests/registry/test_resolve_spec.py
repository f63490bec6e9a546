"""Layered merge: template defaults < task < per-run overrides."""

from datetime import datetime

from bgtasks.registry.models import LaunchTemplate, Task
from bgtasks.registry.runs import RunOverrides, resolve_run_spec

NOW = datetime(2026, 12, 3)
TEMPLATE = LaunchTemplate(
    id=1,
    name="small",
    cpus=0.5,
    memory_mib=512,
    max_processes=128,
    time_limit_seconds=60,
    network="bridge",
    env={"REGION": "eu", "LEVEL": "info"},
    revision=3,
    created_at=NOW,
    updated_at=NOW,
)
TASK = Task(
    id=7,
    name="sync",
    image="img:1",
    image_digest="sha256:" + "a" * 64,
    command=["run", "--all"],
    env={"LEVEL": "debug", "TOKEN": "t"},
    owner="ana",
    revision=5,
    next_run_at=None,
    created_at=NOW,
    updated_at=NOW,
)


def test_task_env_wins_over_template_and_override_wins_over_both():
    spec = resolve_run_spec(TASK, TEMPLATE, RunOverrides(env={"TOKEN": "other"}))
    assert spec.env == {"REGION": "eu", "LEVEL": "debug", "TOKEN": "other"}


def test_command_override_replaces_the_tasks_command():
    assert resolve_run_spec(TASK, TEMPLATE, RunOverrides()).command == ["run", "--all"]
    assert resolve_run_spec(TASK, TEMPLATE, RunOverrides(command=["run", "--day", "1"])).command == [
        "run",
        "--day",
        "1",
    ]


def test_spec_pins_digest_revisions_and_limits():
    spec = resolve_run_spec(TASK, TEMPLATE, RunOverrides())
    assert spec.image_digest == TASK.image_digest
    assert (spec.task_revision, spec.template_revision) == (5, 3)
    assert (spec.cpus, spec.memory_mib, spec.max_processes, spec.time_limit_seconds, spec.network) == (
        0.5,
        512,
        128,
        60,
        "bridge",
    )

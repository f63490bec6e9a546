"""The security posture and limits of every task container, from one pure function."""

from pathlib import Path

from bgtasks.execution.container_settings import container_create_kwargs, installation_id
from bgtasks.execution.spec import RunSpec

SPEC = RunSpec(
    task_name="sync",
    task_revision=2,
    image_reference="img:1",
    image_digest="sha256:" + "b" * 64,
    command=["run"],
    env={"A": "1"},
    template_name="small",
    template_revision=1,
    cpus=0.25,
    memory_mib=64,
    max_processes=32,
    time_limit_seconds=30,
    network="none",
    run_as_user="65534:65534",
)


def test_limits_follow_the_template_with_swap_equal_to_memory():
    kwargs = container_create_kwargs(SPEC, "run-1", "inst")
    assert kwargs["mem_limit"] == kwargs["memswap_limit"] == "64m"
    assert kwargs["nano_cpus"] == 250_000_000
    assert kwargs["pids_limit"] == 32
    assert kwargs["network_mode"] == "none"


def test_no_privileges_no_capabilities_no_host_paths():
    kwargs = container_create_kwargs(SPEC, "run-1", "inst")
    assert kwargs["privileged"] is False
    assert kwargs["cap_drop"] == ["ALL"]
    assert "no-new-privileges" in kwargs["security_opt"]
    assert kwargs["volumes"] == {}
    assert not {"binds", "mounts", "devices", "cap_add", "pid_mode", "ipc_mode"} & set(kwargs)
    assert kwargs["user"] == "65534:65534"


def test_image_is_run_by_digest_and_labels_name_task_run_and_installation():
    kwargs = container_create_kwargs(SPEC, "run-1", installation_id(Path("/srv/bgtasks")))
    assert kwargs["image"] == SPEC.image_digest
    assert kwargs["labels"]["org.bgtasks.task"] == "sync"
    assert kwargs["labels"]["org.bgtasks.run_id"] == "run-1"
    assert kwargs["labels"]["org.bgtasks.installation"] == installation_id(Path("/srv/bgtasks"))
    assert kwargs["environment"]["BGTASKS_RUN_ID"] == "run-1"
    assert kwargs["environment"]["A"] == "1"


def test_bridge_tasks_join_the_isolated_task_network():
    from dataclasses import replace

    kwargs = container_create_kwargs(replace(SPEC, network="bridge"), "run-1", "inst")
    assert kwargs["network_mode"] == "bgtasks-tasks"

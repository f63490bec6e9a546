"""Launch template -> Docker container settings: one pure function, the whole security posture."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from bgtasks.execution.spec import OUTPUT_DIR, RunSpec

MANAGED_LABEL = "org.bgtasks.managed"
RUN_ID_LABEL = "org.bgtasks.run_id"
TASK_LABEL = "org.bgtasks.task"
# Which installation (DAGSTER_HOME) started a container: a clean-up sweep only touches its own.
INSTALLATION_LABEL = "org.bgtasks.installation"
# The user-defined bridge every "bridge" task joins: inter-container traffic is off on it.
TASK_NETWORK = "bgtasks-tasks"


def installation_id(home: Path) -> str:
    return hashlib.sha256(str(home.resolve()).encode()).hexdigest()[:16]


def container_create_kwargs(spec: RunSpec, run_id: str, installation: str) -> dict[str, Any]:
    """Arguments for docker-py ``containers.create`` that enforce ``spec``'s limits.

    Nothing here mounts a host path or the Docker socket, grants a capability, or allows a process
    to gain privileges; swap is disabled by setting it equal to memory.
    """
    memory = f"{spec.memory_mib}m"
    env = {
        **spec.env,
        "BGTASKS_RUN_ID": run_id,
        "BGTASKS_TASK": spec.task_name,
        "BGTASKS_OUTPUT_DIR": OUTPUT_DIR,
    }
    kwargs: dict[str, Any] = {
        "image": spec.image_digest,
        "command": list(spec.command) or None,
        "environment": env,
        "labels": {
            **spec.extra_labels,
            MANAGED_LABEL: "true",
            RUN_ID_LABEL: run_id,
            TASK_LABEL: spec.task_name,
            INSTALLATION_LABEL: installation,
        },
        "name": f"bgtasks-{spec.task_name}-{run_id[:8]}",
        "detach": True,
        "init": True,  # tini as PID 1: signals reach the task and zombies are reaped
        "privileged": False,
        "cap_drop": ["ALL"],
        "security_opt": ["no-new-privileges"],
        "mem_limit": memory,
        "memswap_limit": memory,
        "nano_cpus": round(spec.cpus * 1e9),
        "pids_limit": spec.max_processes,
        "network_mode": TASK_NETWORK if spec.network == "bridge" else "none",
        "volumes": {},
        "tty": False,
        "stdin_open": False,
    }
    if spec.run_as_user:
        kwargs["user"] = spec.run_as_user
    return kwargs

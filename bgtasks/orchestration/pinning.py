"""Pinning: at submission a run gets the task's current definition, fully resolved, for good.

So a run already submitted never changes when the task, its template or its image tag changes
later, and the UI's tags show exactly what ran.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bgtasks.errors import InvalidInput
from bgtasks.execution.spec import RunSpec
from bgtasks.orchestration.tags import IMAGE_TAG, REVISION_TAG, TASK_TAG, TEMPLATE_TAG
from bgtasks.registry.models import validated
from bgtasks.registry.runs import RunOverrides, resolve_run_spec
from bgtasks.services import Services

OP_NAME = "run_container"


def overrides_from_run_config(run_config: Mapping[str, Any]) -> RunOverrides:
    """The per-run overrides carried in the job's run config (``ops.run_container.config``)."""
    config = ((run_config.get("ops") or {}).get(OP_NAME) or {}).get("config") or {}
    return validated(RunOverrides, {key: value for key, value in config.items() if value is not None})


def run_config_for(overrides: RunOverrides) -> dict[str, Any]:
    config: dict[str, Any] = {"env": dict(overrides.env)}
    if overrides.command is not None:
        config["command"] = list(overrides.command)
    return {"ops": {OP_NAME: {"config": config}}}


def pin_run(services: Services, run_id: str, task_name: str | None, run_config: Mapping[str, Any]) -> RunSpec:
    """Resolve and record the spec of ``run_id``; the first pin of a run wins."""
    existing = services.runs.find(run_id)
    if existing is not None:
        return existing.spec
    if not task_name:
        raise InvalidInput(
            "a background_task run needs a partition: pick the task to run by its name", field="partition"
        )
    task = services.tasks.get(task_name)
    template = services.templates.get(task.template)
    spec = resolve_run_spec(task, template, overrides_from_run_config(run_config))
    return services.runs.pin(run_id, spec).spec


def spec_tags(spec: RunSpec) -> dict[str, str]:
    return {
        TASK_TAG: spec.task_name,
        REVISION_TAG: str(spec.task_revision),
        TEMPLATE_TAG: f"{spec.template_name}@{spec.template_revision}",
        IMAGE_TAG: f"{spec.image_reference}@{spec.image_digest[:19]}",
    }

"""/api/tasks/{name}/runs and /api/runs: launch, list, status, logs, outputs, terminate."""

from __future__ import annotations

from typing import Any

from dagster._core.utils import make_new_run_id
from fastapi import APIRouter, Header, Response
from fastapi.responses import FileResponse, PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field

from bgtasks.errors import Conflict, InvalidInput, NotFound
from bgtasks.orchestration.launch import PREBUILT_LOCATION_NAME, launch_job, launch_task
from bgtasks.orchestration.results import output_file, run_view, task_log, task_runs
from bgtasks.orchestration.run_identity import LaunchIdentity
from bgtasks.orchestration.tags import TASK_TAG, TRIGGER_TAG
from bgtasks.permissions.policy import Action, LaunchRequest
from bgtasks.registry.models import validated
from bgtasks.registry.prebuilt import get_prebuilt
from bgtasks.registry.runs import RunOverrides
from bgtasks.server.api.deps import Caller, ServerState, State, audit, authorize
from bgtasks.server.resources import run_resource, task_resource

router = APIRouter(tags=["runs"])


class RunRequestBody(BaseModel):
    """Per-run overrides: extra environment, and a command that replaces the task's."""

    model_config = ConfigDict(extra="forbid")
    env: dict[str, str] = Field(default_factory=dict)
    command: list[str] | None = None


def _launch(server: ServerState, principal, name: str, overrides: RunOverrides, run_id: str, prebuilt: bool):
    identity = LaunchIdentity(principal.name, "api")
    with server.process_context.create_request_context() as workspace:
        if not prebuilt:
            return launch_task(server.instance, workspace, name, overrides, identity=identity, run_id=run_id)
        task = get_prebuilt(name)
        tags = {TASK_TAG: task.name, TRIGGER_TAG: "manual"}
        return launch_job(
            server.instance, workspace, PREBUILT_LOCATION_NAME, task.job_name, {}, tags, run_id, identity
        )


@router.post("/tasks/{name}/runs", status_code=201, summary="Run a task now (optional env and command)")
def start_run(
    name: str,
    server: State,
    principal: Caller,
    response: Response,
    body: RunRequestBody | None = None,
    idempotency_key: str | None = Header(default=None, alias="Idempotency-Key"),
) -> dict[str, Any]:
    resource = task_resource(server.services, name)
    authorize(server, principal, Action.TASK_RUN, LaunchRequest(resource), target=f"task:{name}")
    body = body or RunRequestBody()
    if resource.prebuilt and (body.env or body.command is not None):
        raise InvalidInput("a prebuilt task takes no env or command", field="env" if body.env else "command")
    overrides = validated(RunOverrides, body.model_dump())
    run_id = make_new_run_id()
    if idempotency_key is not None:
        payload = {"task": name, **body.model_dump()}
        earlier = server.services.idempotency.claim(principal.name, idempotency_key, payload, run_id)
        if earlier is not None:
            try:
                view = run_view(server.instance, server.services, earlier)
            except NotFound as exc:
                raise Conflict(
                    "a request with this Idempotency-Key is still being launched", field="Idempotency-Key"
                ) from exc
            response.status_code = 200
            response.headers["Location"] = f"/api/runs/{earlier}"
            return view.to_json()
    try:
        run = _launch(server, principal, name, overrides, run_id, resource.prebuilt)
    except BaseException:
        if idempotency_key is not None:
            server.services.idempotency.release(principal.name, idempotency_key)
        raise
    response.headers["Location"] = f"/api/runs/{run.run_id}"
    return run_view(server.instance, server.services, run.run_id).to_json()


@router.get("/tasks/{name}/runs", summary="Newest runs of a task first")
def list_runs(name: str, server: State, principal: Caller, limit: int = 20) -> list[dict[str, Any]]:
    task_resource(server.services, name)
    authorize(server, principal, Action.RUN_VIEW, audit_denial=False)
    limit = max(1, min(limit, 1000))
    return [view.to_json() for view in task_runs(server.instance, server.services, name, limit)]


@router.get("/runs/{run_id}", summary="Status, exit code, duration, peak memory and outputs of a run")
def get_run(run_id: str, server: State, principal: Caller) -> dict[str, Any]:
    view = run_view(server.instance, server.services, run_id)
    authorize(server, principal, Action.RUN_VIEW, audit_denial=False)
    return view.to_json()


@router.get("/runs/{run_id}/logs", response_class=PlainTextResponse, summary="What the container wrote")
def get_logs(run_id: str, server: State, principal: Caller, offset: int = 0) -> Response:
    run_view(server.instance, server.services, run_id)
    authorize(server, principal, Action.RUN_VIEW, audit_denial=False)
    path = task_log(server.services, run_id)
    data = b""
    if path.exists():
        with path.open("rb") as stream:
            stream.seek(max(0, offset))
            data = stream.read()
    return PlainTextResponse(
        data.decode("utf-8", "replace"), headers={"X-Next-Offset": str(max(0, offset) + len(data))}
    )


@router.get("/runs/{run_id}/outputs/{name}", summary="Download one output file of a run")
def get_output(run_id: str, name: str, server: State, principal: Caller) -> FileResponse:
    run_view(server.instance, server.services, run_id)
    authorize(server, principal, Action.RUN_VIEW, audit_denial=False)
    return FileResponse(output_file(server.services, run_id, name), filename=name)


@router.post("/runs/{run_id}/terminate", status_code=202, summary="Stop a queued or running run")
def terminate_run(run_id: str, server: State, principal: Caller) -> dict[str, Any]:
    view = run_view(server.instance, server.services, run_id)
    run = server.instance.get_run_by_id(run_id)
    assert run is not None
    authorize(
        server, principal, Action.RUN_TERMINATE, run_resource(server.services, run), target=f"run:{run_id}"
    )
    if view.finished:
        raise Conflict(f"run {run_id} already finished: {view.status}", field="run_id")
    if not server.instance.run_coordinator.cancel_run(run_id):
        raise Conflict(f"run {run_id} could not be terminated (status {view.status})", field="run_id")
    audit(server, principal, "run.terminate", f"run:{run_id}", task=view.task_name)
    return run_view(server.instance, server.services, run_id).to_json()

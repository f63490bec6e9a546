"""/api/templates and /api/images."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
from fastapi import APIRouter, Request, Response
from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel, ConfigDict

from bgtasks.errors import TooLarge
from bgtasks.permissions.policy import Action
from bgtasks.registry.models import LaunchTemplateInput
from bgtasks.server.api.deps import Caller, State, audit, authorize

router = APIRouter(tags=["templates and images"])


class TemplateChanges(BaseModel):
    model_config = ConfigDict(extra="forbid")
    description: str | None = None
    cpus: float | None = None
    memory_mib: int | None = None
    max_processes: int | None = None
    time_limit_seconds: int | None = None
    network: str | None = None
    env: dict[str, str] | None = None
    run_as_user: str | None = None


@router.get("/templates", summary="Launch templates")
def list_templates(server: State, principal: Caller) -> list[dict[str, Any]]:
    authorize(server, principal, Action.TEMPLATE_VIEW, audit_denial=False)
    return jsonable_encoder([template.model_dump() for template in server.services.templates.list()])


@router.get("/templates/{name}", summary="One launch template")
def get_template(name: str, server: State, principal: Caller) -> dict[str, Any]:
    authorize(server, principal, Action.TEMPLATE_VIEW, audit_denial=False)
    return jsonable_encoder(server.services.templates.get(name).model_dump())


@router.post("/templates", status_code=201, summary="Create a launch template (admin)")
def create_template(body: dict[str, Any], server: State, principal: Caller) -> dict[str, Any]:
    authorize(server, principal, Action.TEMPLATE_MANAGE, target=f"template:{body.get('name', '-')}")
    template = server.services.templates.create(body)
    audit(server, principal, "template.create", f"template:{template.name}")
    return jsonable_encoder(template.model_dump())


@router.patch("/templates/{name}", summary="Change a launch template (admin)")
def update_template(name: str, body: TemplateChanges, server: State, principal: Caller) -> dict[str, Any]:
    authorize(server, principal, Action.TEMPLATE_MANAGE, target=f"template:{name}")
    changes = body.model_dump(exclude_unset=True)
    template = server.services.templates.update(name, changes)
    audit(server, principal, "template.update", f"template:{name}", fields=sorted(changes))
    return jsonable_encoder(template.model_dump())


@router.delete("/templates/{name}", status_code=204, summary="Delete a launch template no task uses (admin)")
def delete_template(name: str, server: State, principal: Caller) -> Response:
    authorize(server, principal, Action.TEMPLATE_MANAGE, target=f"template:{name}")
    server.services.templates.delete(name)
    audit(server, principal, "template.delete", f"template:{name}")
    return Response(status_code=204)


create_template.__doc__ = f"Fields: {', '.join(LaunchTemplateInput.model_fields)}."


@router.get("/images", summary="Registered images")
def list_images(server: State, principal: Caller) -> list[dict[str, Any]]:
    authorize(server, principal, Action.IMAGE_VIEW, audit_denial=False)
    return jsonable_encoder([image.model_dump() for image in server.services.images.list()])


@router.post(
    "/images",
    status_code=201,
    summary="Upload a 'docker save' archive as the request body (TASK_EDITOR); streamed, size-limited",
)
async def upload_image(request: Request, server: State, principal: Caller) -> list[dict[str, Any]]:
    authorize(server, principal, Action.IMAGE_MANAGE, target="image:-")
    limit = server.services.settings.upload_max_bytes
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise TooLarge(f"image archive is larger than the limit of {limit} bytes", field="archive")
    stream: AsyncIterator[bytes] = request.stream().__aiter__()

    async def next_chunk() -> bytes | None:
        try:
            return await stream.__anext__()
        except StopAsyncIteration:
            return None

    def chunks() -> Iterator[bytes]:
        # Runs in the worker thread that loads the archive; each chunk is read on the event loop.
        while (chunk := anyio.from_thread.run(next_chunk)) is not None:
            yield chunk

    images: list[Any] = await anyio.to_thread.run_sync(server.services.images.upload, chunks(), limit)
    for image in images:
        audit(server, principal, "image.upload", f"image:{image.reference}", digest=image.digest)
    return jsonable_encoder([image.model_dump() for image in images])


@router.delete(
    "/images/{reference:path}", status_code=204, summary="Forget an image no task uses (TASK_EDITOR)"
)
def delete_image(reference: str, server: State, principal: Caller) -> Response:
    authorize(server, principal, Action.IMAGE_MANAGE, target=f"image:{reference}")
    server.services.images.delete(reference)
    audit(server, principal, "image.delete", f"image:{reference}")
    return Response(status_code=204)

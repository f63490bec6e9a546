"""The REST API, mounted at /api: everything a user does in the UI, for programs."""

from __future__ import annotations

from fastapi import FastAPI

from bgtasks.server.api import admin, errors, runs, tasks, users
from bgtasks.server.api.deps import ServerState


def create_api(state: ServerState) -> FastAPI:
    api = FastAPI(
        title="bgtasks",
        version="1",
        description="Background Tasks. Authenticate with `Authorization: Bearer <API token>`. "
        'Errors are `{"error": {"message", "field"}}` with 400/401/403/404/409/413/422.',
        docs_url="/docs",
        openapi_url="/openapi.json",
        redoc_url=None,
    )
    api.state.bgtasks = state
    errors.install(api)
    for router in (tasks.router, runs.router, admin.router, users.router):
        api.include_router(router)
    return api

"""The one ASGI application ``bgtasks serve`` runs: login and health, the REST API under /api, and
dagster-webserver (UI, GraphQL, websocket) behind the GraphQL guard; all behind authentication.

    /health         public: is the registry database answering
    /login, /logout the login page; a session cookie for the browser
    /api/...        REST API and its OpenAPI document (/api/openapi.json, /api/docs)
    everything else dagster-webserver, built in this process
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import dagster_webserver
from dagster import DagsterInstance
from dagster._core.workspace.load_target import WorkspaceFileTarget
from starlette.applications import Starlette
from starlette.routing import Mount, Route

from bgtasks.server.api import create_api
from bgtasks.server.api.deps import ServerState
from bgtasks.server.auth import AuthMiddleware
from bgtasks.server.dagster_ui import BgtasksProcessContext, BgtasksWebserver
from bgtasks.server.graphql_guard import GraphQLGuard
from bgtasks.server.pages import Pages
from bgtasks.server.resources import run_resource
from bgtasks.services import services_for


def create_app(instance: DagsterInstance, workspace_file: Path) -> Starlette:
    services = services_for(instance)
    process_context = BgtasksProcessContext(
        instance,
        workspace_load_target=WorkspaceFileTarget(paths=[str(workspace_file)]),
        version=dagster_webserver.__version__,
    )
    state = ServerState(instance=instance, services=services, process_context=process_context)
    webserver = BgtasksWebserver(process_context, lambda run: run_resource(services, run))
    dagster_app = GraphQLGuard(webserver.create_asgi_app(), instance, services)
    pages = Pages(services)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            process_context.__exit__(None, None, None)

    app = Starlette(
        routes=[
            Route("/health", pages.health, methods=["GET"]),
            Route("/login", pages.login, methods=["GET", "POST"]),
            Route("/logout", pages.logout, methods=["POST"]),
            Mount("/api", app=create_api(state)),
            Mount("/", app=dagster_app),
        ],
        lifespan=lifespan,
    )
    app.add_middleware(AuthMiddleware, services=services)
    return app


def serve_web(instance: DagsterInstance, workspace_file: Path, host: str, port: int) -> None:
    """Run the app with uvicorn until interrupted."""
    import uvicorn

    instance.optimize_for_webserver(statement_timeout=15000, pool_recycle=3600, max_overflow=20)
    uvicorn.run(create_app(instance, workspace_file), host=host, port=port, log_level="warning")

"""Authentication for everything the server serves, in one ASGI middleware.

- ``Authorization: Bearer <API token>`` for programs; a session cookie for browsers (``/login``).
- Every path but ``/health`` and ``/login`` needs an identity: browsers are sent to the login page,
  programs get 401.
- Cookie-authenticated requests that change state (and websockets) must come from a trusted origin
  (``Origin``, else ``Referer``): with the SameSite=Lax cookie and JSON-only GraphQL mutations, a
  page on another site cannot act as the user.
- Any ``x-bgtasks-identity`` header a client sends is dropped; after authenticating, the middleware
  adds its own, signed, for the run coordinator (bgtasks.permissions.internal_header).
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import quote, urlsplit

import anyio
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from bgtasks.permissions.internal_header import IDENTITY_HEADER, make_header
from bgtasks.permissions.policy import Principal
from bgtasks.server.dagster_ui import PRINCIPAL_SCOPE_KEY
from bgtasks.services import Services

SESSION_COOKIE = "bgtasks_session"
AUTH_METHOD_SCOPE_KEY = "bgtasks.auth"
PUBLIC_PATHS = {"/health", "/login"}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
_IDENTITY_HEADER = IDENTITY_HEADER.encode()


def error_body(message: str, field: str | None = None) -> dict:
    return {"error": {"message": message, "field": field}}


def _headers(scope: Scope) -> dict[bytes, bytes]:
    return {key.lower(): value for key, value in scope.get("headers", [])}


def _cookie(headers: dict[bytes, bytes], name: str) -> str | None:
    for part in headers.get(b"cookie", b"").decode("latin-1").split(";"):
        key, _, value = part.strip().partition("=")
        if key == name and value:
            return value
    return None


def own_origin(scope: Scope, headers: dict[bytes, bytes]) -> str:
    scheme = scope.get("scheme", "http").replace("ws", "http")
    host = headers.get(b"host", b"").decode("latin-1")
    return f"{scheme}://{host}"


def origin_trusted(scope: Scope, headers: dict[bytes, bytes], trusted: Iterable[str]) -> bool:
    """The request comes from one of our own pages: Origin, else Referer, names a trusted origin."""
    allowed = {own_origin(scope, headers).lower(), *(origin.rstrip("/").lower() for origin in trusted)}
    origin = headers.get(b"origin", b"").decode("latin-1").lower()
    if origin and origin != "null":
        return origin in allowed
    referer = urlsplit(headers.get(b"referer", b"").decode("latin-1"))
    return bool(referer.netloc) and f"{referer.scheme}://{referer.netloc}".lower() in allowed


class AuthMiddleware:
    def __init__(self, app: ASGIApp, services: Services) -> None:
        self._app = app
        self._services = services

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self._app(scope, receive, send)
            return
        scope["headers"] = [(k, v) for k, v in scope.get("headers", []) if k.lower() != _IDENTITY_HEADER]
        headers = _headers(scope)
        path = scope.get("path", "")
        principal, method, error = await self._authenticate(headers)
        if error is not None:
            await self._deny(scope, receive, send, 401, error)
            return
        needs_origin = method == "session" and (
            scope["type"] == "websocket" or scope.get("method", "GET") not in SAFE_METHODS
        )
        if needs_origin and not origin_trusted(scope, headers, self._services.settings.trusted_origins):
            await self._deny(
                scope, receive, send, 403, "cross-site request refused: Origin is not this server"
            )
            return
        if principal is None and path not in PUBLIC_PATHS:
            await self._deny(
                scope, receive, send, 401, "sign in at /login or send Authorization: Bearer <token>"
            )
            return
        scope[PRINCIPAL_SCOPE_KEY] = principal
        scope[AUTH_METHOD_SCOPE_KEY] = method
        if principal is not None:
            scope["headers"].append((_IDENTITY_HEADER, make_header(principal.name).encode()))
        await self._app(scope, receive, send)

    async def _authenticate(
        self, headers: dict[bytes, bytes]
    ) -> tuple[Principal | None, str | None, str | None]:
        """(principal, "token" | "session" | None, error). A bad token is an error, not anonymity."""
        authorization = headers.get(b"authorization", b"").decode("latin-1")
        if authorization:
            scheme, _, token = authorization.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                return None, None, "Authorization must be 'Bearer <API token>'"
            principal = await anyio.to_thread.run_sync(self._services.tokens.resolve, token.strip())
            if principal is None:
                return None, None, "the API token is unknown, revoked or expired"
            return principal, "token", None
        session = _cookie(headers, SESSION_COOKIE)
        if session:
            principal = await anyio.to_thread.run_sync(self._services.sessions.resolve, session)
            if principal is not None:
                return principal, "session", None
        return None, None, None

    async def _deny(self, scope: Scope, receive: Receive, send: Send, status: int, message: str) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 4401 if status == 401 else 4403})
            return
        headers = _headers(scope)
        wants_page = scope.get("method") == "GET" and b"text/html" in headers.get(b"accept", b"")
        if status == 401 and wants_page and not scope.get("path", "").startswith("/api"):
            target = scope.get("path", "/")
            if scope.get("query_string"):
                target += "?" + scope["query_string"].decode("latin-1")
            response: Response = RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
        else:
            extra = {"WWW-Authenticate": 'Bearer realm="bgtasks"'} if status == 401 else {}
            response = JSONResponse(error_body(message), status_code=status, headers=extra)
        await response(scope, receive, send)

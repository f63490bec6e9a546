"""The login page, logout, and the health check: the only routes besides the UI and the API."""

from __future__ import annotations

import html
import time
from collections import defaultdict, deque
from urllib.parse import parse_qs

import anyio
import sqlalchemy as sa
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from bgtasks.server.auth import SESSION_COOKIE
from bgtasks.services import Services

MAX_FAILURES = 5
FAILURE_WINDOW_SECONDS = 300.0
MAX_FORM_BYTES = 16 * 1024

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in - bgtasks</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body {{ font-family: system-ui, sans-serif; background: #f4f5f7; display: flex; justify-content: center; }}
form {{ background: #fff; margin-top: 12vh; padding: 2em; border-radius: 8px; width: 20em;
        box-shadow: 0 1px 4px rgba(0,0,0,.15); }}
label {{ display: block; margin-top: 1em; }} input {{ width: 100%; padding: .5em; box-sizing: border-box; }}
button {{ margin-top: 1.5em; width: 100%; padding: .6em; }} .error {{ color: #b00020; }}
</style></head>
<body><form method="post" action="/login">
<h1>bgtasks</h1><p>Background Tasks on Dagster. Sign in to continue.</p>
{error}
<label>User <input name="username" autocomplete="username" required autofocus value="{username}"></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label>
<input type="hidden" name="next" value="{next}">
<button type="submit">Sign in</button>
</form></body></html>
"""


def safe_next(value: str | None) -> str:
    """Only a path on this server: no scheme, no host, no '//' (open redirects)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


def login_page(error: str = "", username: str = "", next_path: str = "/", status: int = 200) -> HTMLResponse:
    body = PAGE.format(
        error=f'<p class="error">{html.escape(error)}</p>' if error else "",
        username=html.escape(username),
        next=html.escape(safe_next(next_path)),
    )
    return HTMLResponse(body, status_code=status, headers={"Cache-Control": "no-store"})


class LoginThrottle:
    """At most MAX_FAILURES failed logins per user name and client address in a sliding window."""

    def __init__(self) -> None:
        self._failures: dict[tuple[str, str], deque[float]] = defaultdict(deque)

    def blocked(self, key: tuple[str, str], now: float) -> bool:
        recent = self._failures[key]
        while recent and now - recent[0] > FAILURE_WINDOW_SECONDS:
            recent.popleft()
        return len(recent) >= MAX_FAILURES

    def failed(self, key: tuple[str, str], now: float) -> None:
        self._failures[key].append(now)

    def succeeded(self, key: tuple[str, str]) -> None:
        self._failures.pop(key, None)


class Pages:
    def __init__(self, services: Services) -> None:
        self._services = services
        self._throttle = LoginThrottle()

    async def login(self, request: Request) -> Response:
        if request.method == "GET":
            return login_page(next_path=request.query_params.get("next", "/"))
        body = await request.body()
        if len(body) > MAX_FORM_BYTES:
            return login_page("form too large", status=413)
        form = {key: values[0] for key, values in parse_qs(body.decode("utf-8", "replace")).items()}
        username, password = form.get("username", "").strip(), form.get("password", "")
        next_path = safe_next(form.get("next"))
        client = request.client.host if request.client else "-"
        key, now = (username, client), time.monotonic()
        if self._throttle.blocked(key, now):
            await self._audit_failure(username, client, "too many failed attempts")
            return login_page("Too many failed attempts: wait a few minutes.", username, next_path, 429)
        user = await anyio.to_thread.run_sync(self._services.users.authenticate, username, password)
        if user is None:
            self._throttle.failed(key, now)
            await self._audit_failure(username, client, "wrong user name or password")
            return login_page("Wrong user name or password.", username, next_path, 401)
        self._throttle.succeeded(key)
        session = await anyio.to_thread.run_sync(self._services.sessions.create, user.name)
        await anyio.to_thread.run_sync(
            lambda: self._services.audit.record(
                user.name, "login", f"user:{user.name}", via="ui", detail={"client": client}
            )
        )
        response = RedirectResponse(next_path, status_code=303)
        secure = self._services.settings.cookie_secure
        response.set_cookie(
            SESSION_COOKIE,
            session,
            max_age=int(self._services.settings.session_hours * 3600),
            path="/",
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https" if secure is None else secure,
        )
        return response

    async def _audit_failure(self, username: str, client: str, reason: str) -> None:
        await anyio.to_thread.run_sync(
            lambda: self._services.audit.record(
                username or "-",
                "login",
                f"user:{username or '-'}",
                outcome="denied",
                via="ui",
                detail={"client": client, "reason": reason},
            )
        )

    async def logout(self, request: Request) -> Response:
        session = request.cookies.get(SESSION_COOKIE)
        if session:
            await anyio.to_thread.run_sync(self._services.sessions.end, session)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    async def health(self, _request: Request) -> Response:
        def database_answers() -> bool:
            try:
                with self._services.engine.connect() as connection:
                    connection.execute(sa.text("SELECT 1"))
                return True
            except sa.exc.SQLAlchemyError:
                return False

        ok = await anyio.to_thread.run_sync(database_answers)
        return JSONResponse(
            {"status": "ok" if ok else "degraded", "database": ok}, status_code=200 if ok else 503
        )

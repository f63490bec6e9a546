"""Every error the API returns is JSON: ``{"error": {"message": ..., "field": ...}}``."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse

from bgtasks.errors import BgtasksError


def body(message: str, field: str | None) -> dict:
    return {"error": {"message": message, "field": field}}


def install(app: FastAPI) -> None:
    @app.exception_handler(BgtasksError)
    async def bgtasks_error(_request: Request, exc: BgtasksError) -> JSONResponse:
        return JSONResponse(body(exc.message, exc.field), status_code=exc.http_status)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        location = [
            str(part) for part in first.get("loc", ()) if part not in ("body", "query", "path", "header")
        ]
        message = str(first.get("msg", "invalid request")).removeprefix("Value error, ")
        if first.get("type") == "extra_forbidden":
            message = "unknown field"
        return JSONResponse(body(message, ".".join(location) or None), status_code=422)

    @app.exception_handler(HTTPException)
    async def http_error(_request: Request, exc: HTTPException) -> JSONResponse:
        return JSONResponse(body(str(exc.detail), None), status_code=exc.status_code, headers=exc.headers)

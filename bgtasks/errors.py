"""Typed errors. The edges map them: HTTP status codes in the server, exit codes in the CLI.

Each error carries a message a user can act on and, where one input is at fault, the field name.
"""

from __future__ import annotations


class BgtasksError(Exception):
    """Base of every error bgtasks raises on purpose."""

    http_status = 400
    exit_code = 1

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class InvalidInput(BgtasksError):
    """A value does not pass validation; ``field`` names it."""

    http_status = 422
    exit_code = 2


class NotFound(BgtasksError):
    http_status = 404
    exit_code = 3


class Conflict(BgtasksError):
    """The request contradicts existing state: a duplicate name, a template still in use."""

    http_status = 409
    exit_code = 4


class TooLarge(BgtasksError):
    http_status = 413
    exit_code = 5


class EngineUnavailable(BgtasksError):
    """An outside system (Docker Engine, database, run worker) does not answer."""

    http_status = 503
    exit_code = 6


class Unauthenticated(BgtasksError):
    http_status = 401
    exit_code = 7


class PermissionDenied(BgtasksError):
    http_status = 403
    exit_code = 8

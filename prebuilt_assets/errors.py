"""Why a prebuilt fetch failed. Every message names the source, the URL and the problem."""

from __future__ import annotations

from bgtasks.errors import BgtasksError


class SourceError(BgtasksError):
    """A public source did not give us what we need; the previous version stays current."""

    http_status = 502
    exit_code = 6

    def __init__(self, source: str, url: str, problem: str) -> None:
        super().__init__(f"{source}: {url}: {problem}")
        self.source = source
        self.url = url
        self.problem = problem


class FetchError(SourceError):
    """The server refused, failed, or could not be reached (after retries where retrying makes sense)."""


class ContentError(SourceError):
    """The response is not the data it should be: an HTML page, a truncated gzip, an empty body."""


class SchemaError(SourceError):
    """The data lacks a required column, or a value does not fit its declared type."""


class IncompleteError(SourceError):
    """Fewer records arrived than the source says it has, or none at all."""

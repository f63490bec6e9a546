"""Why a prebuilt fetch failed. Every message names the source, the URL and the problem."""

from __future__ import annotations

import re

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


class SourceFormatError(ContentError):
    """A downloaded file is not in the format we know how to read (IAPD, CFTC parsers).

    ``location`` is the URL, file or zip member at fault.
    """

    def __init__(self, source: str, location: str, problem: str) -> None:
        super().__init__(source, location, problem)
        BgtasksError.__init__(self, f"{source}: {problem} [{location}]")
        self.location = location


_HTML_START = re.compile(
    rb"\s*(?:<\?xml[^>]*\?>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|title)\b", re.I | re.S
)
_HTML_TITLE = re.compile(rb"<title[^>]*>\s*(.*?)\s*</title>", re.I | re.S)


def describe_html_page(head: bytes) -> str | None:
    """Say "an HTML page titled '...'" when ``head`` (the first KBs of a download) is HTML, else None.

    Firewalls and CDNs answer blocked or expired requests with an HTML page, sometimes with status 200,
    so a data file that starts like HTML is reported as such instead of as a corrupt file.
    """
    if not _HTML_START.match(head.lstrip(b"\xef\xbb\xbf")):
        return None
    title = _HTML_TITLE.search(head)
    if title is None:
        return "an HTML page"
    text = " ".join(title.group(1).decode("utf-8", "replace").split())
    return f"an HTML page titled {text[:80]!r}"

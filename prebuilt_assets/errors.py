"""Typed errors of the prebuilt public-data fetchers.

A fetcher that raises one of these fails its run before anything is published, so the catalog keeps
the previous version of the source.
"""

from __future__ import annotations

import re

from bgtasks.errors import BgtasksError


class SourceFormatError(BgtasksError):
    """A public source served something that is not the format we know how to read.

    ``source`` names the dataset (e.g. ``iapd_sec_advisers``), ``location`` the URL, file or zip
    member at fault, and ``problem`` says what is wrong in words a user can act on.
    """

    # The upstream server answered, but not with what it documents: a bad gateway, not a bad request.
    http_status = 502

    def __init__(self, source: str, location: str, problem: str) -> None:
        super().__init__(f"{source}: {problem} [{location}]")
        self.source = source
        self.location = location
        self.problem = problem


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

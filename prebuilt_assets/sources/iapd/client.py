"""Finding the current IAPD edition and downloading one feed file of it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from prebuilt_assets.errors import FetchError
from prebuilt_assets.http import Downloaded, Expect, HttpClient, NotModified, Page, Progress, Validators
from prebuilt_assets.sources.iapd.discover import FeedFile, IapdEdition, read_manifest

T = TypeVar("T")
_BLOCKED = (403, 406)
_FIREWALL_HINT = (
    "the SEC firewall blocks requests without a declared User-Agent: set BGTASKS_PREBUILT_USER_AGENT "
    "to a name and contact address"
)


class IapdClient:
    """The compilation reports: the manifest names the current edition's files."""

    def __init__(self, http: HttpClient, manifest_url: str) -> None:
        self.http = http
        self.manifest_url = manifest_url

    def find_edition(self) -> tuple[Page, IapdEdition]:
        """The manifest page and the edition it lists (a block page or another shape fails)."""
        # Read as-is: read_manifest names a block page better than a generic "HTML instead of JSON".
        page = self._blocked_hint(lambda: self.http.get(self.manifest_url, expect=Expect.HTML))
        return page, read_manifest(page.body, self.manifest_url, self.http.source)

    def download(
        self, file: FeedFile, dest_dir: Path, progress: Progress | None, validators: Validators | None
    ) -> Downloaded | NotModified:
        """Stream one feed file to ``dest_dir``; the gzip feeds are checked whole while downloading."""
        expect = Expect.ZIP if file.name.lower().endswith(".zip") else Expect.GZIP
        return self._blocked_hint(
            lambda: self.http.download(
                file.url, dest_dir / file.name, expect=expect, progress=progress, validators=validators
            )
        )

    @staticmethod
    def _blocked_hint(call: Callable[[], T]) -> T:
        try:
            return call()
        except FetchError as exc:
            if any(f"HTTP {status}" in exc.problem for status in _BLOCKED):
                raise FetchError(exc.source, exc.url, f"{exc.problem} ({_FIREWALL_HINT})") from exc
            raise

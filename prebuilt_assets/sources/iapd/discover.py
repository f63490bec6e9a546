"""Find the current IAPD edition from the compilation-reports manifest.

The manifest lists only the latest edition, e.g.
``{"files":[{"name":"IA_FIRM_SEC_Feed_07_23_2026.xml.gz","size":"78 MB","date":"07/23/2026"}, ...]}``.
File names are relative to the manifest's folder. ``size`` is approximate and is not the download
size, so it is ignored.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urljoin

from prebuilt_assets.errors import SourceFormatError, describe_html_page
from prebuilt_assets.sources.iapd.settings import FEEDS, MANIFEST_URL, IapdFeed

_DATE_IN_NAME = re.compile(r"_(\d{2})_(\d{2})_(\d{4})\.")


@dataclass(frozen=True)
class FeedFile:
    """One feed file of an edition, ready to download."""

    feed: str
    """Dataset name (``iapd_sec_advisers``)."""
    name: str
    """File name as listed (``IA_FIRM_SEC_Feed_12_02_2026.xml.gz``)."""
    url: str
    edition_date: date


@dataclass(frozen=True)
class IapdEdition:
    """The feed files the manifest lists, by dataset name."""

    files: Mapping[str, FeedFile]
    manifest_url: str = MANIFEST_URL

    @property
    def edition_date(self) -> date:
        """The newest file date (all three normally share it)."""
        return max(file.edition_date for file in self.files.values())

    def file_for(self, feed: IapdFeed) -> FeedFile:
        """The file of ``feed``, or a SourceFormatError naming what the manifest does list."""
        try:
            return self.files[feed.name]
        except KeyError:
            listed = ", ".join(file.name for file in self.files.values())
            raise SourceFormatError(
                feed.name,
                self.manifest_url,
                f"the manifest lists no {feed.file_prefix}* file (it lists: {listed})",
            ) from None


def read_manifest(manifest: bytes, manifest_url: str = MANIFEST_URL, source: str = "iapd") -> IapdEdition:
    """Parse the manifest JSON into the current edition's feed files with absolute URLs.

    Raises SourceFormatError (naming ``source``) when the body is an HTML page (the SEC firewall's
    block page), is not the manifest's JSON shape, or lists none of the three feeds.
    """
    entries = _manifest_entries(manifest, manifest_url, source)
    files: dict[str, FeedFile] = {}
    for entry in entries:
        name = entry.get("name")
        if not isinstance(name, str) or (feed := _feed_named(name)) is None:
            continue
        file = FeedFile(
            feed=feed.name,
            name=name,
            url=urljoin(manifest_url, name),
            edition_date=_entry_date(entry, name, manifest_url, source),
        )
        # The manifest should list one edition; if it ever lists more, the newest wins.
        current = files.get(feed.name)
        if current is None or file.edition_date > current.edition_date:
            files[feed.name] = file
    if not files:
        names = [entry.get("name") for entry in entries]
        raise SourceFormatError(source, manifest_url, f"the manifest lists none of the feeds: {names}")
    return IapdEdition(files=files, manifest_url=manifest_url)


def _manifest_entries(manifest: bytes, manifest_url: str, source: str) -> list[dict[str, object]]:
    html = describe_html_page(manifest[:4096])
    if html is not None:
        raise SourceFormatError(
            source,
            manifest_url,
            f"got {html} instead of the manifest JSON (a firewall block page? the request must "
            "declare a User-Agent)",
        )
    try:
        document = json.loads(manifest.removeprefix(b"\xef\xbb\xbf"))
    except ValueError as exc:
        raise SourceFormatError(source, manifest_url, f"the manifest is not JSON: {exc}") from exc
    files = document.get("files") if isinstance(document, dict) else None
    if not isinstance(files, list) or not all(isinstance(entry, dict) for entry in files):
        raise SourceFormatError(source, manifest_url, 'the manifest has no "files" list of objects')
    return files


def _feed_named(name: str) -> IapdFeed | None:
    for feed in FEEDS:
        if name.startswith(feed.file_prefix):
            return feed
    return None


def _entry_date(entry: Mapping[str, object], name: str, manifest_url: str, source: str) -> date:
    listed = entry.get("date")
    if isinstance(listed, str):
        try:
            return datetime.strptime(listed.strip(), "%m/%d/%Y").date()
        except ValueError:
            pass
    in_name = _DATE_IN_NAME.search(name)
    if in_name is None:
        raise SourceFormatError(
            source, manifest_url, f"no edition date for {name}: date {listed!r} is not MM/DD/YYYY"
        )
    month, day, year = (int(part) for part in in_name.groups())
    return date(year, month, day)

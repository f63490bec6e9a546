"""Finding and downloading the newest MFI list."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from prebuilt_assets.errors import ContentError
from prebuilt_assets.http import (
    Downloaded,
    Expect,
    HttpClient,
    NotModified,
    Page,
    Progress,
    Validators,
    rebase_url,
)
from prebuilt_assets.sources.ecb.settings import FILES_PATH, LANDING_PATH

_LINK = re.compile(r"""href=["']([^"']*?mfi_csv_(\d{6})\.csv(\.gz)?)["']""")


@dataclass(frozen=True)
class MfiList:
    """One published full list: its date and URL (gzip or plain)."""

    url: str
    list_date: date
    gzip: bool

    @property
    def filename(self) -> str:
        return self.url.rsplit("/", 1)[-1]


def lists_on_page(html: str, page_url: str, base_url: str) -> list[MfiList]:
    """Full-list links (not ``mfi_csv_update_``) on the landing page, newest first, gzip before plain."""
    found = {
        MfiList(rebase_url(href, page_url, base_url), datetime.strptime(stamp, "%y%m%d").date(), bool(gz))
        for href, stamp, gz in _LINK.findall(html)
    }
    return sorted(found, key=lambda m: (m.list_date, m.gzip), reverse=True)


class EcbClient:
    """The ECB site: landing page discovery, a dated-name fallback, and the download."""

    def __init__(self, http: HttpClient, base_url: str, *, prefer_gzip: bool = True, walk_back_days: int = 7):
        self.http = http
        self.base_url = base_url
        self.prefer_gzip = prefer_gzip
        self.walk_back_days = walk_back_days

    @property
    def landing_url(self) -> str:
        return self.base_url + LANDING_PATH

    def find_latest(self, today: date | None = None) -> tuple[Page, MfiList]:
        """The newest list linked from the landing page; if it links none, the newest dated name
        that exists within ``walk_back_days`` (the ECB has no "latest" alias)."""
        page = self.http.get(self.landing_url, expect=Expect.HTML)
        lists = lists_on_page(page.text, self.landing_url, self.base_url)
        if lists:
            newest = lists[0].list_date
            same_day = [m for m in lists if m.list_date == newest]
            preferred = [m for m in same_day if m.gzip == self.prefer_gzip] or same_day
            return page, preferred[0]
        day = today or date.today()
        for back in range(self.walk_back_days + 1):
            candidate = day - timedelta(days=back)
            url = f"{self.base_url}{FILES_PATH}/mfi_csv_{candidate:%y%m%d}.csv" + (
                ".gz" if self.prefer_gzip else ""
            )
            if self.http.exists(url):
                return page, MfiList(url, candidate, self.prefer_gzip)
        raise ContentError(
            self.http.source,
            self.landing_url,
            f"no mfi_csv_YYMMDD.csv link on the landing page, and no dated list in the last {self.walk_back_days} days",
        )

    def download(
        self, mfi_list: MfiList, dest_dir: Path, progress: Progress | None, validators: Validators | None
    ) -> Downloaded | NotModified:
        return self.http.download(
            mfi_list.url,
            dest_dir / mfi_list.filename,
            expect=Expect.GZIP if mfi_list.gzip else Expect.TEXT,
            progress=progress,
            validators=validators,
        )

"""Finding the newest published PZ year and downloading its CSV."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from prebuilt_assets.errors import ContentError, FetchError
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
from prebuilt_assets.sources.nccs.settings import CATALOG_PATH, FILE_PATH

_LINK = re.compile(r"""href=["']([^"']*?/CORE-(\d{4})-501C3-CHARITIES-PZ-HRMN\.csv)["']""")


@dataclass(frozen=True)
class CoreFile:
    year: int
    url: str
    found_by: str  # "pinned", "catalog page", "probe"


class NccsClient:
    """Discovery: a pinned year, else the newest year linked from the catalog page, then a probe of
    the S3 name pattern for later years (the page is a legacy layout since May 2026 and may lag)."""

    def __init__(self, http: HttpClient, catalog_base_url: str, data_base_url: str, *, probe_years: int = 2):
        self.http = http
        self.catalog_url = catalog_base_url + CATALOG_PATH
        self.data_base_url = data_base_url
        self.probe_years = probe_years

    def url_for(self, year: int) -> str:
        return self.data_base_url + FILE_PATH.format(year=year)

    def find_newest(self, pinned_year: int | None = None) -> tuple[Page | None, CoreFile]:
        if pinned_year is not None:
            return None, CoreFile(pinned_year, self.url_for(pinned_year), "pinned")
        page = self.http.get(self.catalog_url, expect=Expect.HTML)
        years = {int(y): href for href, y in _LINK.findall(page.text)}
        if not years:
            return page, self._probe_back(date.today().year)
        newest = max(years)
        found = CoreFile(
            newest, rebase_url(years[newest], self.catalog_url, self.data_base_url), "catalog page"
        )
        for later in range(newest + 1, newest + 1 + self.probe_years):
            if self.http.exists(self.url_for(later)):
                found = CoreFile(later, self.url_for(later), "probe")
        return page, found

    def _probe_back(self, this_year: int) -> CoreFile:
        for year in range(this_year, this_year - 8, -1):
            if self.http.exists(self.url_for(year)):
                return CoreFile(year, self.url_for(year), "probe")
        raise ContentError(
            self.http.source,
            self.catalog_url,
            f"no CORE-YYYY-501C3-CHARITIES-PZ-HRMN.csv link on the catalog page and none found for {this_year - 7}-{this_year}",
        )

    def download(
        self, core: CoreFile, dest_dir: Path, progress: Progress | None, validators: Validators | None
    ) -> Downloaded | NotModified:
        try:
            return self.http.download(
                core.url,
                dest_dir / core.url.rsplit("/", 1)[-1],
                expect=Expect.TEXT,
                progress=progress,
                validators=validators,
            )
        except FetchError as exc:
            if "HTTP 404" in exc.problem and core.found_by == "pinned":
                raise FetchError(
                    exc.source, exc.url, f"{exc.problem}: tax year {core.year} is not published"
                ) from exc
            raise

"""Finding the newest FCM workbook on the CFTC index page and downloading it."""

from __future__ import annotations

from pathlib import Path

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
from prebuilt_assets.sources.cftc.discover import FcmReportLink, discover_latest_report
from prebuilt_assets.sources.cftc.settings import INDEX_PATH


class CftcClient:
    """The index page lists one workbook per month; its upload folder cannot be computed."""

    def __init__(self, http: HttpClient, base_url: str) -> None:
        self.http = http
        self.base_url = base_url

    @property
    def index_url(self) -> str:
        return self.base_url + INDEX_PATH

    def find_latest(self) -> tuple[Page, FcmReportLink]:
        """The index page and its newest .xlsx report, the link moved onto the configured host."""
        page = self.http.get(self.index_url, expect=Expect.HTML)
        report = discover_latest_report(page.body, self.index_url)
        return page, FcmReportLink(
            url=rebase_url(report.url, self.index_url, self.base_url), report_month=report.report_month
        )

    def download(
        self, report: FcmReportLink, dest_dir: Path, progress: Progress | None, validators: Validators | None
    ) -> Downloaded | NotModified:
        return self.http.download(
            report.url,
            dest_dir / "fcm_report.xlsx",
            expect=Expect.XLSX,
            progress=progress,
            validators=validators,
        )

"""Finding the newest FCM workbook on the recorded CFTC index page."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from prebuilt_assets.errors import SourceFormatError
from prebuilt_assets.sources.cftc.discover import discover_latest_report, list_reports

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures/prebuilt/cftc"
INDEX = (FIXTURES / "financialfcmdata_index.htm").read_bytes()
FILES = "https://www.cftc.gov/sites/default/files"


def test_newest_report_is_september_2026_with_its_upload_folder() -> None:
    report = discover_latest_report(INDEX)

    assert report.url == f"{FILES}/2026-11/01%20-%20FCM%20Webpage%20Update%20-%20September%202026.xlsx"
    assert report.report_month == date(2026, 9, 30)


def test_every_monthly_row_is_listed_newest_first() -> None:
    reports = list_reports(INDEX)

    assert len(reports) == 12
    assert [r.report_month for r in reports[:2]] == [date(2026, 9, 30), date(2026, 8, 31)]
    assert reports[-1].report_month == date(2025, 10, 31)
    assert reports[-1].url.startswith(f"{FILES}/2025-12/")


def test_links_resolve_against_the_index_url_served_locally() -> None:
    index_url = "http://127.0.0.1:8765/MarketReports/financialfcmdata/index.htm"

    report = discover_latest_report(INDEX, index_url)

    assert report.url.startswith("http://127.0.0.1:8765/sites/default/files/2026-11/")


def test_newest_is_chosen_by_date_not_by_position() -> None:
    page = b"""<html><body><table>
      <tr><td>July 31, 2026</td><td><a href="/files/2026-09/july.xlsx">Excel</a></td></tr>
      <tr><td>August 31, 2026</td><td><a href="/files/2026-10/august.xlsx">Excel</a></td></tr>
      <tr><td>June 30, 2026</td><td><a href="/files/2026-08/june.pdf">PDF</a></td></tr>
    </table></body></html>"""

    report = discover_latest_report(page, "https://www.cftc.gov/MarketReports/financialfcmdata/index.htm")

    assert report.url == "https://www.cftc.gov/files/2026-10/august.xlsx"
    assert report.report_month == date(2026, 8, 31)


def test_month_is_read_from_the_file_name_when_the_row_has_no_date() -> None:
    page = b'<p><a href="/x/01%20-%20FCM%20Webpage%20Update%20-%20February%202026.XLSX">latest</a></p>'

    report = discover_latest_report(page)

    assert report.report_month == date(2026, 2, 28)


def test_block_page_without_reports_fails_clearly() -> None:
    page = b"<html><head><title>Access Denied</title></head><body>Reference #18.5c</body></html>"

    with pytest.raises(SourceFormatError) as caught:
        discover_latest_report(page)

    assert str(caught.value).startswith(
        "cftc_fcm_financials: no dated .xlsx report link on an HTML page titled 'Access Denied'"
    )
    assert caught.value.location == "https://www.cftc.gov/MarketReports/financialfcmdata/index.htm"


def test_empty_body_fails_clearly() -> None:
    with pytest.raises(SourceFormatError, match="the index page is not HTML"):
        discover_latest_report(b"")

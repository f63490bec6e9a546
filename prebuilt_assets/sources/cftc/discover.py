"""Find the newest monthly FCM workbook on the CFTC index page.

Each report is a table row ``<tr><td>September 30, 2026</td><td><a href="...xlsx">Excel</a></td></tr>``.
The workbook sits in a Drupal upload folder named after the upload month, not the report month,
so its URL can only be read from the page, never computed.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import unquote, urljoin, urlsplit

from lxml import etree, html

from prebuilt_assets.errors import SourceFormatError, describe_html_page
from prebuilt_assets.sources.cftc.settings import DATASET, INDEX_URL

_MONTH_YEAR_IN_NAME = re.compile(r"([A-Za-z]+)\s+(\d{4})\.xlsx$", re.IGNORECASE)


@dataclass(frozen=True)
class FcmReportLink:
    """One monthly report listed on the index page."""

    url: str
    """Absolute URL of the .xlsx workbook."""
    report_month: date
    """Last day of the report month: the index row's "As of Date" (2026-09-30)."""


def list_reports(index_html: bytes, index_url: str = INDEX_URL) -> list[FcmReportLink]:
    """Every .xlsx report on the index page, newest first, with URLs resolved against ``index_url``."""
    try:
        page = html.fromstring(index_html)
    except (etree.ParserError, ValueError) as exc:
        raise SourceFormatError(DATASET, index_url, f"the index page is not HTML: {exc}") from exc
    reports = {}
    for link in page.iter("a"):
        href = (link.get("href") or "").strip()
        if not urlsplit(href).path.lower().endswith(".xlsx"):
            continue
        url = urljoin(index_url, href)
        month = _row_date(link) or _month_in_name(url)
        if month is not None:
            reports[url] = FcmReportLink(url=url, report_month=month)
    return sorted(reports.values(), key=lambda report: report.report_month, reverse=True)


def discover_latest_report(index_html: bytes, index_url: str = INDEX_URL) -> FcmReportLink:
    """The newest report on the index page.

    Raises SourceFormatError when the page lists no dated .xlsx report (a block page, a redesign).
    """
    reports = list_reports(index_html, index_url)
    if not reports:
        page = describe_html_page(index_html[:65536]) or "the page"
        raise SourceFormatError(
            DATASET,
            index_url,
            f"no dated .xlsx report link on {page} (a firewall block page or a redesigned index?)",
        )
    return reports[0]


def _row_date(link: html.HtmlElement) -> date | None:
    """The "Month day, Year" date in the first cell of the table row holding ``link``."""
    row = next(link.iterancestors("tr"), None)
    if row is None:
        return None
    for cell in row.iter("td", "th"):
        text = " ".join(cell.text_content().split())
        try:
            return datetime.strptime(text, "%B %d, %Y").date()
        except ValueError:
            continue
    return None


def _month_in_name(url: str) -> date | None:
    """Month end from a file name like "01 - FCM Webpage Update - July 2026.xlsx"."""
    found = _MONTH_YEAR_IN_NAME.search(unquote(urlsplit(url).path))
    if found is None:
        return None
    try:
        month = datetime.strptime(found.group(1), "%B").month
    except ValueError:
        return None
    year = int(found.group(2))
    return date(year, month, calendar.monthrange(year, month)[1])

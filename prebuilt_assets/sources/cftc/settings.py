"""Where the CFTC "Financial Data for FCMs" report lives, how its workbook is laid out, and how a
deployment overrides the host.

Nothing here reads the environment at import: ``CftcResource`` resolves its base URL when a run
starts. The column labels are in ``schema.py``.
"""

from __future__ import annotations

import re

import dagster as dg

DATASET = "cftc_fcm_financials"

REAL_BASE_URL = "https://www.cftc.gov"
INDEX_PATH = "/MarketReports/financialfcmdata/index.htm"
INDEX_URL = REAL_BASE_URL + INDEX_PATH
HISTORICAL_INDEX_URL = "https://www.cftc.gov/MarketReports/financialfcmdata/HistoricalFCMReports/index.htm"

# The header is row 1 today; a title or blank row above it has been seen in other eras.
HEADER_SEARCH_ROWS = 12

# "Registered As" of a firm row holds one of these, alone or with others (FCM/BD).
ENTITY_REGISTRATIONS = frozenset({"FCM", "RFED", "FCMRFD"})
FCM_REGISTRATIONS = frozenset({"FCM", "FCMRFD"})
RFED_REGISTRATIONS = frozenset({"RFED", "FCMRFD"})

# First cell of the block that follows the firms: "Totals", "Additions: ...", "Deletions: ...".
END_OF_FIRMS = re.compile(r"(totals?|additions|deletions)\b", re.IGNORECASE)


class CftcResource(dg.ConfigurableResource):
    """``base_url`` of the CFTC site (default BGTASKS_CFTC_BASE_URL, then https://www.cftc.gov). The
    workbook link read from the index page is moved onto this host too."""

    base_url: str | None = None

    def resolved_base_url(self) -> str:
        from bgtasks.settings import get_settings

        return (self.base_url or get_settings().cftc_base_url or REAL_BASE_URL).rstrip("/")

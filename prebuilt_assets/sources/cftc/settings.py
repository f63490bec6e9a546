"""Where the CFTC "Financial Data for FCMs" report lives and how its workbook is laid out.

Constants only: nothing here reads the environment or imports Dagster (``resources.py`` does). The
column labels are in ``schema.py``.
"""

from __future__ import annotations

import re

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

"""Where the ECB publishes the MFI list, and how a deployment overrides it."""

from __future__ import annotations

import dagster as dg

REAL_BASE_URL = "https://www.ecb.europa.eu"
LANDING_PATH = "/stats/financial_corporations/list_of_financial_institutions/html/daily_list-MID.en.html"
FILES_PATH = "/stats/money/mfi/general/html/dla/mfi_MID"


class EcbResource(dg.ConfigurableResource):
    """``base_url`` (default BGTASKS_ECB_BASE_URL, then the real site); ``prefer_gzip`` picks the .csv.gz
    variant when the landing page offers both; ``walk_back_days`` bounds the fallback probe of dated
    names when the landing page has no link."""

    base_url: str | None = None
    prefer_gzip: bool = True
    walk_back_days: int = 7

    def resolved_base_url(self) -> str:
        from bgtasks.settings import get_settings

        return (self.base_url or get_settings().ecb_base_url or REAL_BASE_URL).rstrip("/")

"""How a deployment points the CFTC task at another host (a mirror, a loopback test server)."""

from __future__ import annotations

import dagster as dg

from prebuilt_assets.sources.cftc.settings import REAL_BASE_URL


class CftcResource(dg.ConfigurableResource):
    """``base_url`` of the CFTC site (default BGTASKS_CFTC_BASE_URL, then https://www.cftc.gov). The
    workbook link read from the index page is moved onto this host too."""

    base_url: str | None = None

    def resolved_base_url(self) -> str:
        from bgtasks.settings import get_settings

        return (self.base_url or get_settings().cftc_base_url or REAL_BASE_URL).rstrip("/")

"""Where the BankFind API lives, and how a deployment overrides it."""

from __future__ import annotations

import dagster as dg

REAL_BASE_URL = "https://api.fdic.gov"
INSTITUTIONS_PATH = "/banks/institutions"
LOCATIONS_PATH = "/banks/locations"
MAX_PAGE_SIZE = 10_000


class FdicResource(dg.ConfigurableResource):
    """``base_url`` (default BGTASKS_FDIC_BASE_URL, then https://api.fdic.gov), optional ``api_key``
    (BGTASKS_FDIC_API_KEY; never logged or stored), ``page_size`` up to 10,000 (BGTASKS_FDIC_PAGE_SIZE),
    and optional field lists (default: every field the API returns; required fields are always added)."""

    base_url: str | None = None
    api_key: str | None = None
    page_size: int | None = None
    institution_fields: list[str] | None = None
    location_fields: list[str] | None = None

    def resolved_base_url(self) -> str:
        from bgtasks.settings import get_settings

        return (self.base_url or get_settings().fdic_base_url or REAL_BASE_URL).rstrip("/")

    def resolved_api_key(self) -> str | None:
        from bgtasks.settings import get_settings

        secret = get_settings().fdic_api_key
        return self.api_key or (secret.get_secret_value() if secret else None)

    def resolved_page_size(self) -> int:
        from bgtasks.settings import get_settings

        size = self.page_size or get_settings().fdic_page_size
        return max(1, min(size, MAX_PAGE_SIZE))

"""Where NCCS publishes the Core files, and how a deployment overrides it."""

from __future__ import annotations

import dagster as dg

REAL_CATALOG_BASE_URL = "https://nccs.urban.org"
REAL_DATA_BASE_URL = "https://nccsdata.s3.us-east-1.amazonaws.com"
CATALOG_PATH = "/nccs/catalogs/catalog-core.html"
FILE_PATH = "/harmonized/core/501c3-pz/CORE-{year}-501C3-CHARITIES-PZ-HRMN.csv"


class NccsResource(dg.ConfigurableResource):
    """Base URLs of the catalog page and of the data bucket (defaults: BGTASKS_NCCS_* then the real
    hosts); ``year`` pins a tax year (default BGTASKS_NCCS_YEAR, else the newest published);
    ``probe_years`` is how many years past the newest linked one are probed by URL pattern."""

    catalog_base_url: str | None = None
    data_base_url: str | None = None
    year: int | None = None
    probe_years: int = 2

    def resolved(self) -> tuple[str, str, int | None]:
        from bgtasks.settings import get_settings

        s = get_settings()
        catalog = (self.catalog_base_url or s.nccs_catalog_base_url or REAL_CATALOG_BASE_URL).rstrip("/")
        data = (self.data_base_url or s.nccs_data_base_url or REAL_DATA_BASE_URL).rstrip("/")
        return catalog, data, self.year or s.nccs_year

"""Dagster resources shared by every source: the Source catalog and the HTTP settings.

Each field left unset falls back to bgtasks settings (BGTASKS_* environment variables), read when
a run starts, never at import.
"""

from __future__ import annotations

from collections.abc import Callable

import dagster as dg

from bgtasks.catalog import Catalog
from prebuilt_assets.http import HttpClient, HttpSettings


class CatalogResource(dg.ConfigurableResource):
    """Where prebuilt tasks publish: ``root`` or BGTASKS_CATALOG_ROOT (default $DAGSTER_HOME/catalog)."""

    root: str | None = None

    def get(self) -> Catalog:
        return Catalog(self.root) if self.root else Catalog.from_settings()


class HttpResource(dg.ConfigurableResource):
    """HTTP behaviour of every fetcher; unset fields come from BGTASKS_PREBUILT_* settings."""

    user_agent: str | None = None
    connect_timeout: float | None = None
    read_timeout: float | None = None
    max_attempts: int | None = None
    backoff_seconds: float | None = None
    max_retry_after_seconds: float | None = None

    def settings(self) -> HttpSettings:
        base = HttpSettings.from_settings()
        overrides = {k: v for k, v in self.model_dump().items() if v is not None}
        return HttpSettings(**{**base.__dict__, **overrides})

    def client(self, source: str, log: Callable[[str], None] | None = None) -> HttpClient:
        return HttpClient(source, self.settings(), log=log)

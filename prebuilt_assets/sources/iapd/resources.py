"""How a deployment points the IAPD tasks at another host (a mirror, a loopback test server)."""

from __future__ import annotations

import dagster as dg

from prebuilt_assets.sources.iapd.settings import MANIFEST_PATH, REAL_BASE_URL


class IapdResource(dg.ConfigurableResource):
    """``base_url`` of the compilation reports (default BGTASKS_IAPD_BASE_URL, then the real host).
    The feed files are resolved against the manifest's URL, so they come from the same host."""

    base_url: str | None = None

    def manifest_url(self) -> str:
        from bgtasks.settings import get_settings

        base = (self.base_url or get_settings().iapd_base_url or REAL_BASE_URL).rstrip("/")
        return base + MANIFEST_PATH

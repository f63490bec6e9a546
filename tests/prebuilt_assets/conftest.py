from __future__ import annotations

from collections.abc import Iterator

import pytest

from prebuilt_assets.http import HttpClient, HttpSettings
from tests.prebuilt_assets.server import FIXTURES, FixtureServer, start

ECB_DIR = "/stats/money/mfi/general/html/dla/mfi_MID"
ECB_LANDING = "/stats/financial_corporations/list_of_financial_institutions/html/daily_list-MID.en.html"
NCCS_CATALOG = "/nccs/catalogs/catalog-core.html"
NCCS_2022 = "/harmonized/core/501c3-pz/CORE-2022-501C3-CHARITIES-PZ-HRMN.csv"

FAST = HttpSettings(
    user_agent="bgtasks-tests/1.0 (+loopback)",
    connect_timeout=2,
    read_timeout=5,
    max_attempts=3,
    backoff_seconds=0.01,
    max_backoff_seconds=0.05,
    max_retry_after_seconds=5,
)


@pytest.fixture
def server() -> Iterator[FixtureServer]:
    state = FixtureServer()
    state.serve(ECB_LANDING, FIXTURES / "ecb" / "daily_list-MID.en.html")
    for name in (
        "mfi_csv_261202.csv",
        "mfi_csv_261202.csv.gz",
        "mfi_csv_update_261202.csv",
        "mfi_csv_update_261202.csv.gz",
    ):
        state.serve(f"{ECB_DIR}/{name}", FIXTURES / "ecb" / name)
    state.serve(NCCS_CATALOG, FIXTURES / "nccs" / "catalog-core.html")
    state.serve(NCCS_2022, FIXTURES / "nccs" / "CORE-2022-501C3-CHARITIES-PZ-HRMN.csv")
    httpd, thread = start(state)
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@pytest.fixture
def http() -> Iterator[HttpClient]:
    with HttpClient("test_source", FAST) as client:
        yield client

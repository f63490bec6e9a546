from __future__ import annotations

from collections.abc import Iterator

import dagster as dg
import pytest

from prebuilt_assets.http import HttpClient, HttpSettings
from prebuilt_assets.resources import CatalogResource, HttpResource
from tests.prebuilt_assets.server import FIXTURES, FixtureServer, start

ECB_DIR = "/stats/money/mfi/general/html/dla/mfi_MID"
ECB_LANDING = "/stats/financial_corporations/list_of_financial_institutions/html/daily_list-MID.en.html"
NCCS_CATALOG = "/nccs/catalogs/catalog-core.html"
NCCS_2022 = "/harmonized/core/501c3-pz/CORE-2022-501C3-CHARITIES-PZ-HRMN.csv"
IAPD_DIR = "/reports/CompilationReports"
IAPD_MANIFEST = f"{IAPD_DIR}/CompilationReports.manifest.json"
IAPD_FILES = (
    "IA_FIRM_SEC_Feed_12_02_2026.xml.gz",
    "IA_FIRM_STATE_Feed_12_02_2026.xml.gz",
    "IA_INDVL_Feed_12_02_2026.xml.zip",
)
CFTC_INDEX = "/MarketReports/financialfcmdata/index.htm"
# As the index page links them (percent-encoded spaces; upload folder = report month + 2).
CFTC_WORKBOOKS = {
    "/sites/default/files/2026-11/01%20-%20FCM%20Webpage%20Update%20-%20September%202026.xlsx": (
        "01 - FCM Webpage Update - September 2026.xlsx"
    ),
    "/sites/default/files/2026-10/01%20-%20FCM%20Webpage%20Update%20-%20August%202026.xlsx": (
        "01 - FCM Webpage Update - August 2026.xlsx"
    ),
}

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
    state.serve(IAPD_MANIFEST, FIXTURES / "iapd" / "CompilationReports.manifest.json")
    for name in IAPD_FILES:
        state.serve(f"{IAPD_DIR}/{name}", FIXTURES / "iapd" / name)
    state.serve(CFTC_INDEX, FIXTURES / "cftc" / "financialfcmdata_index.htm")
    for path, name in CFTC_WORKBOOKS.items():
        state.serve(path, FIXTURES / "cftc" / name)
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


@pytest.fixture
def catalog_root(tmp_path) -> str:
    return str(tmp_path / "catalog")


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.DagsterInstance.ephemeral() as inst:
        yield inst


def base_resources(catalog_root: str) -> dict[str, object]:
    return {
        "catalog": CatalogResource(root=catalog_root),
        "http": HttpResource(
            user_agent=FAST.user_agent,
            connect_timeout=FAST.connect_timeout,
            read_timeout=FAST.read_timeout,
            max_attempts=FAST.max_attempts,
            backoff_seconds=FAST.backoff_seconds,
            max_retry_after_seconds=FAST.max_retry_after_seconds,
        ),
    }


def failure_message(result: dg.ExecuteInProcessResult) -> str:
    """The error messages of a failed in-process run, joined."""
    assert not result.success
    messages = []
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data.error is not None:
            messages.append(event.step_failure_data.error.message)
    return "\n".join(messages)


def materialization(result: dg.ExecuteInProcessResult) -> dict[str, object]:
    (event,) = result.get_asset_materialization_events()
    return {k: v.value for k, v in event.materialization.metadata.items()}


def check_results(result: dg.ExecuteInProcessResult) -> dict[str, tuple[bool, str]]:
    out = {}
    for evaluation in result.get_asset_check_evaluations():
        out[evaluation.check_name] = (evaluation.passed, evaluation.severity.value)
    return out

"""The three IAPD assets, one per compilation feed. Each publishes a flat Parquet Source and a nested
JSONL Source from one parse (see ``publish.py``)."""

import dagster as dg

from prebuilt_assets.catalog_tasks import TASKS_BY_SOURCE, PrebuiltTask
from prebuilt_assets.jobs import task_asset
from prebuilt_assets.resources import CatalogResource, HttpResource
from prebuilt_assets.sources.iapd.publish import fetch_and_publish
from prebuilt_assets.sources.iapd.resources import IapdResource
from prebuilt_assets.sources.iapd.schema import SCHEMA_VERSION
from prebuilt_assets.sources.iapd.settings import REPRESENTATIVES, SEC_ADVISERS, STATE_ADVISERS

SEC_TASK = TASKS_BY_SOURCE["iapd_sec_advisers"]
STATE_TASK = TASKS_BY_SOURCE["iapd_state_advisers"]
REPRESENTATIVES_TASK = TASKS_BY_SOURCE["iapd_representatives"]


def _asset(task: PrebuiltTask):
    return task_asset(task, SCHEMA_VERSION, kinds=frozenset({"parquet", "json"}))


@_asset(SEC_TASK)
def iapd_sec_advisers(
    context: dg.AssetExecutionContext, catalog: CatalogResource, http: HttpResource, iapd: IapdResource
) -> dg.MaterializeResult:
    return fetch_and_publish(context, SEC_TASK, SEC_ADVISERS, catalog, http, iapd)


@_asset(STATE_TASK)
def iapd_state_advisers(
    context: dg.AssetExecutionContext, catalog: CatalogResource, http: HttpResource, iapd: IapdResource
) -> dg.MaterializeResult:
    return fetch_and_publish(context, STATE_TASK, STATE_ADVISERS, catalog, http, iapd)


@_asset(REPRESENTATIVES_TASK)
def iapd_representatives(
    context: dg.AssetExecutionContext, catalog: CatalogResource, http: HttpResource, iapd: IapdResource
) -> dg.MaterializeResult:
    return fetch_and_publish(context, REPRESENTATIVES_TASK, REPRESENTATIVES, catalog, http, iapd)


ASSETS = [iapd_sec_advisers, iapd_state_advisers, iapd_representatives]
TASKS = [SEC_TASK, STATE_TASK, REPRESENTATIVES_TASK]

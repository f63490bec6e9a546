"""The ``ecb_mfi`` asset: discover the newest list, download, skip if unchanged, parse, publish."""

import dagster as dg

from prebuilt_assets.catalog_tasks import TASKS_BY_SOURCE
from prebuilt_assets.http import NotModified
from prebuilt_assets.jobs import task_asset
from prebuilt_assets.progress import ProgressLog
from prebuilt_assets.publishing import (
    content_hash,
    failures_as_dagster_failures,
    now,
    prepare,
    publish,
    scratch_dir,
    unchanged,
    validators_for,
)
from prebuilt_assets.resources import CatalogResource, HttpResource
from prebuilt_assets.sources.ecb.client import EcbClient
from prebuilt_assets.sources.ecb.parse import parse_mfi
from prebuilt_assets.sources.ecb.schema import SCHEMA_VERSION
from prebuilt_assets.sources.ecb.settings import EcbResource

TASK = TASKS_BY_SOURCE["ecb_mfi"]


@task_asset(TASK, SCHEMA_VERSION)
def ecb_mfi(
    context: dg.AssetExecutionContext, catalog: CatalogResource, http: HttpResource, ecb: EcbResource
) -> dg.MaterializeResult:
    progress = ProgressLog(TASK.source, context.log.info)
    with (
        failures_as_dagster_failures(),
        scratch_dir(TASK.source) as tmp,
        http.client(TASK.source, context.log.warning) as client,
    ):
        cat = catalog.get()
        current = prepare(cat, TASK)
        site = EcbClient(
            client, ecb.resolved_base_url(), prefer_gzip=ecb.prefer_gzip, walk_back_days=ecb.walk_back_days
        )
        landing, mfi_list = site.find_latest()
        context.log.info(f"{TASK.source}: newest list is {mfi_list.list_date} at {mfi_list.url}")
        got = site.download(
            mfi_list, tmp, progress.bytes, validators_for(current, mfi_list.url, SCHEMA_VERSION)
        )
        if isinstance(got, NotModified):
            assert current is not None
            return unchanged(context, cat, TASK, current, f"{mfi_list.url} answered 304 Not Modified")
        digest = content_hash(SCHEMA_VERSION, got.content_sha256)
        if current is not None and current.content_hash == digest:
            return unchanged(context, cat, TASK, current, "same content hash as the current version")
        return publish(
            context,
            cat,
            TASK,
            content=digest,
            upstream=[landing.upstream(), got.upstream()],
            fetched_at=now(),
            write=lambda out: parse_mfi(
                got.path, out, gzip=mfi_list.gzip, url=mfi_list.url, progress=progress.rows
            ),
            extra={"schema_version": SCHEMA_VERSION, "list_date": mfi_list.list_date.isoformat()},
        )

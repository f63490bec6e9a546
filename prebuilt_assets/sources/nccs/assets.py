"""The ``nccs_501c3_pz`` asset: find the newest year, download, skip if unchanged, parse, publish."""

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
from prebuilt_assets.sources.nccs.client import NccsClient
from prebuilt_assets.sources.nccs.parse import parse_core
from prebuilt_assets.sources.nccs.schema import SCHEMA_VERSION
from prebuilt_assets.sources.nccs.settings import NccsResource

TASK = TASKS_BY_SOURCE["nccs_501c3_pz"]


@task_asset(TASK, SCHEMA_VERSION)
def nccs_501c3_pz(
    context: dg.AssetExecutionContext, catalog: CatalogResource, http: HttpResource, nccs: NccsResource
) -> dg.MaterializeResult:
    progress = ProgressLog(TASK.source, context.log.info)
    catalog_base, data_base, pinned = nccs.resolved()
    with (
        failures_as_dagster_failures(),
        scratch_dir(TASK.source) as tmp,
        http.client(TASK.source, context.log.warning) as client,
    ):
        cat = catalog.get()
        current = prepare(cat, TASK)
        site = NccsClient(client, catalog_base, data_base, probe_years=nccs.probe_years)
        page, core = site.find_newest(pinned)
        context.log.info(f"{TASK.source}: tax year {core.year} ({core.found_by}) at {core.url}")
        got = site.download(core, tmp, progress.bytes, validators_for(current, core.url, SCHEMA_VERSION))
        if isinstance(got, NotModified):
            assert current is not None
            return unchanged(context, cat, TASK, current, f"{core.url} answered 304 Not Modified")
        digest = content_hash(SCHEMA_VERSION, got.content_sha256)
        if current is not None and current.content_hash == digest:
            return unchanged(context, cat, TASK, current, "same content hash as the current version")
        upstream = [page.upstream()] if page else []
        return publish(
            context,
            cat,
            TASK,
            content=digest,
            upstream=[*upstream, got.upstream()],
            fetched_at=now(),
            write=lambda out: parse_core(got.path, out, url=core.url, progress=progress.rows),
            extra={"schema_version": SCHEMA_VERSION, "tax_year": core.year, "found_by": core.found_by},
        )

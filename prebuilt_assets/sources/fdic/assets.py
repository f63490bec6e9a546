"""The ``fdic_institutions`` and ``fdic_locations`` assets: page the API, check the total, publish."""

import dagster as dg

from prebuilt_assets.catalog_tasks import TASKS_BY_SOURCE, PrebuiltTask
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
)
from prebuilt_assets.resources import CatalogResource, HttpResource
from prebuilt_assets.sources.fdic.client import FdicClient
from prebuilt_assets.sources.fdic.parse import parse_pages
from prebuilt_assets.sources.fdic.schema import INSTITUTIONS, LOCATIONS, SCHEMA_VERSION
from prebuilt_assets.sources.fdic.settings import INSTITUTIONS_PATH, LOCATIONS_PATH, FdicResource
from prebuilt_assets.tabular import TableSpec


def _fetch_and_publish(
    context: dg.AssetExecutionContext,
    task: PrebuiltTask,
    spec: TableSpec,
    path: str,
    fields: list[str] | None,
    catalog: CatalogResource,
    http: HttpResource,
    fdic: FdicResource,
) -> dg.MaterializeResult:
    progress = ProgressLog(task.source, context.log.info)
    if fields:
        fields = sorted(set(fields) | spec.required)
    with (
        failures_as_dagster_failures(),
        scratch_dir(task.source) as tmp,
        http.client(task.source, context.log.warning) as client,
    ):
        cat = catalog.get()
        current = prepare(cat, task)
        api = FdicClient(
            client,
            fdic.resolved_base_url(),
            api_key=fdic.resolved_api_key(),
            page_size=fdic.resolved_page_size(),
        )
        pages = api.fetch(path, tmp, sort_by=spec.key[0], fields=fields, progress=progress.bytes)
        context.log.info(
            f"{task.source}: {pages.received:,} records in {len(pages.paths)} page(s), as meta.total says"
        )
        digest = content_hash(SCHEMA_VERSION, pages.records_sha256)
        if current is not None and current.content_hash == digest:
            return unchanged(context, cat, task, current, "same records as the current version")
        return publish(
            context,
            cat,
            task,
            content=digest,
            upstream=pages.upstream,
            fetched_at=now(),
            write=lambda out: parse_pages(
                pages.paths, pages.fields, out, spec=spec, url=pages.url, progress=progress.rows
            ),
            extra={"schema_version": SCHEMA_VERSION, "api_total": pages.total, "pages": len(pages.paths)},
        )


INSTITUTIONS_TASK = TASKS_BY_SOURCE["fdic_institutions"]
LOCATIONS_TASK = TASKS_BY_SOURCE["fdic_locations"]


@task_asset(INSTITUTIONS_TASK, SCHEMA_VERSION)
def fdic_institutions(
    context: dg.AssetExecutionContext, catalog: CatalogResource, http: HttpResource, fdic: FdicResource
) -> dg.MaterializeResult:
    return _fetch_and_publish(
        context,
        INSTITUTIONS_TASK,
        INSTITUTIONS,
        INSTITUTIONS_PATH,
        fdic.institution_fields,
        catalog,
        http,
        fdic,
    )


@task_asset(LOCATIONS_TASK, SCHEMA_VERSION)
def fdic_locations(
    context: dg.AssetExecutionContext, catalog: CatalogResource, http: HttpResource, fdic: FdicResource
) -> dg.MaterializeResult:
    return _fetch_and_publish(
        context, LOCATIONS_TASK, LOCATIONS, LOCATIONS_PATH, fdic.location_fields, catalog, http, fdic
    )

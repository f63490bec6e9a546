"""The ``cftc_fcm_financials`` asset: newest report from the index page, download, parse by label, publish."""

import dagster as dg

from bgtasks.catalog import FileWriter
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
from prebuilt_assets.sources.cftc.client import CftcClient
from prebuilt_assets.sources.cftc.parse import read_fcm_workbook, write_fcm_parquet
from prebuilt_assets.sources.cftc.resources import CftcResource
from prebuilt_assets.sources.cftc.schema import FCM_SCHEMA, SCHEMA_VERSION
from prebuilt_assets.tabular import ParseReport

TASK = TASKS_BY_SOURCE["cftc_fcm_financials"]


@task_asset(TASK, SCHEMA_VERSION)
def cftc_fcm_financials(
    context: dg.AssetExecutionContext, catalog: CatalogResource, http: HttpResource, cftc: CftcResource
) -> dg.MaterializeResult:
    progress = ProgressLog(TASK.source, context.log.info)
    with (
        failures_as_dagster_failures(),
        scratch_dir(TASK.source) as tmp,
        http.client(TASK.source, context.log.warning) as client,
    ):
        cat = catalog.get()
        current = prepare(cat, TASK)
        site = CftcClient(client, cftc.resolved_base_url())
        index, report = site.find_latest()
        context.log.info(f"{TASK.source}: newest report is {report.report_month:%B %Y} at {report.url}")
        got = site.download(report, tmp, progress.bytes, validators_for(current, report.url, SCHEMA_VERSION))
        if isinstance(got, NotModified):
            assert current is not None
            return unchanged(context, cat, TASK, current, f"{report.url} answered 304 Not Modified")
        digest = content_hash(SCHEMA_VERSION, got.content_sha256)
        if current is not None and current.content_hash == digest:
            return unchanged(context, cat, TASK, current, "same content hash as the current version")
        firms = read_fcm_workbook(got.path, report.report_month, report.url)
        context.log.info(
            f"{TASK.source}: {len(firms.rows)} firms on sheet {firms.sheet!r} under header row {firms.header_row}"
        )
        if firms.skipped_rows:
            context.log.info(f"{TASK.source}: skipped non-firm rows {list(firms.skipped_rows)}")

        def write(out: FileWriter) -> ParseReport:
            rows = write_fcm_parquet(firms, out)
            return ParseReport(
                rows=rows,
                schema=FCM_SCHEMA,
                unknown_columns=firms.extra_columns,
                missing_columns=firms.missing_optional_columns,
                notes={
                    "sheet": firms.sheet,
                    "header_row": firms.header_row,
                    "skipped_rows": list(firms.skipped_rows),
                },
            )

        return publish(
            context,
            cat,
            TASK,
            content=digest,
            upstream=[index.upstream(), got.upstream()],
            fetched_at=now(),
            write=write,
            extra={"schema_version": SCHEMA_VERSION, "report_month": report.report_month.isoformat()},
        )

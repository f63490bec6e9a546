"""Fetch one IAPD feed and publish it as two Sources: flat Parquet and nested JSONL.

The task's Source (``iapd_sec_advisers``) holds the flat typed table; its ``nested_source``
(``iapd_sec_advisers_nested``) holds every record whole, one JSON object per line. One parse writes
both files into two drafts; nothing is committed until both are complete, then the nested version is
committed first and the flat one second, with the same content hash. A failure before the commits
leaves both Sources as they were (docs/prebuilt.md, "Two Sources per feed").
"""

from __future__ import annotations

import dagster as dg
import pyarrow as pa

from bgtasks.catalog import Catalog, Draft, Manifest, Upstream
from prebuilt_assets.catalog_tasks import PrebuiltTask
from prebuilt_assets.http import Downloaded, NotModified
from prebuilt_assets.progress import ProgressLog
from prebuilt_assets.publishing import (
    content_hash,
    failures_as_dagster_failures,
    now,
    prepare,
    publish_result,
    scratch_dir,
    unchanged,
    validators_for,
)
from prebuilt_assets.resources import CatalogResource, HttpResource
from prebuilt_assets.sources.iapd.client import IapdClient
from prebuilt_assets.sources.iapd.discover import FeedFile
from prebuilt_assets.sources.iapd.resources import IapdResource
from prebuilt_assets.sources.iapd.schema import SCHEMA_VERSION, flat_table_for
from prebuilt_assets.sources.iapd.settings import IapdFeed
from prebuilt_assets.sources.iapd.write import write_feed

# A JSONL Source declares no columns: its records are the feed's elements, nested (see parse.py).
NESTED_SCHEMA = pa.schema([])


def fetch_and_publish(
    context: dg.AssetExecutionContext,
    task: PrebuiltTask,
    feed: IapdFeed,
    catalog: CatalogResource,
    http: HttpResource,
    iapd: IapdResource,
) -> dg.MaterializeResult:
    """Find the current edition, download the feed's file, and publish both Sources unless unchanged."""
    assert task.nested_source is not None, task.name
    progress = ProgressLog(task.source, context.log.info)
    with (
        failures_as_dagster_failures(),
        scratch_dir(task.source) as tmp,
        http.client(task.source, context.log.warning) as client,
    ):
        cat = catalog.get()
        current = prepare(cat, task)
        nested_current = _prepare_nested(cat, task)
        paired = _same_edition(current, nested_current)
        site = IapdClient(client, iapd.manifest_url())
        manifest, edition = site.find_edition()
        file = edition.file_for(feed)
        context.log.info(f"{task.source}: edition of {file.edition_date} at {file.url}")
        validators = validators_for(current, file.url, SCHEMA_VERSION) if paired else None
        got = site.download(file, tmp, progress.bytes, validators)
        if isinstance(got, NotModified):
            assert current is not None
            return unchanged(context, cat, task, current, f"{file.url} answered 304 Not Modified")
        digest = content_hash(SCHEMA_VERSION, got.content_sha256)
        if paired and current is not None and current.content_hash == digest:
            return unchanged(context, cat, task, current, "same content hash as the current version")
        upstream = [manifest.upstream(), got.upstream()]
        return _publish_both(context, cat, task, feed, file, upstream, got, digest, progress)


def _publish_both(
    context: dg.AssetExecutionContext,
    cat: Catalog,
    task: PrebuiltTask,
    feed: IapdFeed,
    file: FeedFile,
    upstream: list[Upstream],
    got: Downloaded,
    digest: str,
    progress: ProgressLog,
) -> dg.MaterializeResult:
    assert task.nested_source is not None
    fetched_at, run_id = now(), context.run.run_id

    def start(source: str) -> Draft:
        return cat.start_publish(
            source, content_hash=digest, upstream=upstream, fetched_at=fetched_at, run_id=run_id
        )

    with start(task.source) as flat, start(task.nested_source) as nested:
        with (
            flat.open_file(f"{task.source}.parquet") as parquet_out,
            nested.open_file(f"{task.nested_source}.jsonl") as jsonl_out,
        ):
            outputs = write_feed(
                feed, got.path, jsonl_out, parquet_out, source_url=file.url, progress=progress.rows
            )
            parquet_out.rows = jsonl_out.rows = outputs.records
        extra = {
            "schema_version": SCHEMA_VERSION,
            "edition_date": file.edition_date.isoformat(),
            "generated_on": outputs.generated_on.isoformat() if outputs.generated_on else None,
            "file": file.name,
            "members": list(outputs.members),
            "ignored_members": list(outputs.ignored_members),
        }
        nested_result = nested.commit(NESTED_SCHEMA, extra={**extra, "flat_source": task.source})
        flat_result = flat.commit(
            flat_table_for(feed).schema,
            extra={**extra, "nested_source": task.nested_source, "nested_version": nested_result.version},
        )
    if outputs.ignored_members:
        context.log.warning(
            f"{task.source}: {len(outputs.ignored_members)} zip member(s) are not feed data and were "
            f"ignored: {', '.join(outputs.ignored_members)}"
        )
    context.log.info(
        f"{task.source}: nested records in {task.nested_source} version {nested_result.version} "
        f"({nested_result.status})"
    )
    result = publish_result(context, cat, task, flat_result)
    nested_files = cat.list_files(task.nested_source, nested_result.version)
    return dg.MaterializeResult(
        metadata={
            **(result.metadata or {}),
            "edition_date": file.edition_date.isoformat(),
            "ignored_members": dg.MetadataValue.json(list(outputs.ignored_members)),
            "nested_source": task.nested_source,
            "nested_version": nested_result.version,
            "nested_path": dg.MetadataValue.path(nested_files[0].location),
            "nested_bytes": nested_result.manifest.bytes,
        },
        data_version=result.data_version,
    )


def _prepare_nested(cat: Catalog, task: PrebuiltTask) -> Manifest | None:
    assert task.nested_source is not None
    cat.ensure_source(
        task.nested_source,
        f"{task.title}, every record whole: one JSON object per line, the feed's XML element nested "
        f"(attributes as keys, child elements under their tag, repeated children as lists). The same "
        f"versions as {task.source}, which holds the flat core fields.",
        "jsonl",
    )
    return cat.find_current(task.nested_source)


def _same_edition(flat: Manifest | None, nested: Manifest | None) -> bool:
    """Both Sources hold the same content (a run that died between the two commits leaves them apart;
    then the next run must publish again even when upstream did not move)."""
    return flat is not None and nested is not None and flat.content_hash == nested.content_hash

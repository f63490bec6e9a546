"""The glue every prebuilt asset shares: skip unchanged content, publish a version, describe it.

An asset fetches to a scratch directory, computes a content hash, and calls ``publish`` with a
function that parses the download into the version's file. Any ``SourceError`` becomes a Dagster
``Failure`` naming source, URL and problem; nothing is published and the current version stays.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dagster as dg

from bgtasks.catalog import Catalog, FileWriter, Manifest, PublishResult, Upstream
from prebuilt_assets.catalog_tasks import PrebuiltTask
from prebuilt_assets.errors import SourceError
from prebuilt_assets.http import Validators
from prebuilt_assets.tabular import ParseReport

Writer = Callable[[FileWriter], ParseReport]


def content_hash(schema_version: str, *parts: str) -> str:
    """The hash that decides "unchanged": upstream content plus the version of our schema/parser,
    so a change in how we parse publishes a new version even when upstream did not move."""
    sha = hashlib.sha256(f"schema={schema_version}\n".encode())
    for part in parts:
        sha.update(part.encode())
        sha.update(b"\n")
    return sha.hexdigest()


@contextmanager
def scratch_dir(source: str) -> Iterator[Path]:
    """A private directory for downloads, removed when the run ends (BGTASKS_PREBUILT_WORK_DIR)."""
    from bgtasks.settings import get_settings

    base = get_settings().prebuilt_work_dir
    if base is not None:
        base.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f"bgtasks-{source}-", dir=base) as tmp:
        yield Path(tmp)


@contextmanager
def failures_as_dagster_failures() -> Iterator[None]:
    """Re-raise our SourceError as a dagster.Failure with the source, URL and problem as metadata."""
    try:
        yield
    except SourceError as exc:
        raise dg.Failure(
            description=str(exc),
            metadata={"source": exc.source, "url": dg.MetadataValue.url(exc.url), "problem": exc.problem},
            allow_retries=False,
        ) from exc


def prepare(catalog: Catalog, task: PrebuiltTask) -> Manifest | None:
    """Make sure the Source exists; return its current manifest (None before the first version)."""
    catalog.ensure_source(task.source, task.description, task.format)
    return catalog.find_current(task.source)


def unchanged(
    context: dg.AssetExecutionContext, catalog: Catalog, task: PrebuiltTask, current: Manifest, why: str
) -> dg.MaterializeResult:
    context.log.info(
        f"{task.source}: upstream unchanged ({why}); no new version, {current.version} stays current"
    )
    return dg.MaterializeResult(
        metadata={**describe(catalog, current), "status": "unchanged", "reason": why},
        data_version=dg.DataVersion(current.version),
    )


def publish(
    context: dg.AssetExecutionContext,
    catalog: Catalog,
    task: PrebuiltTask,
    *,
    content: str,
    upstream: Iterable[Upstream],
    fetched_at: datetime,
    write: Writer,
    extra: dict[str, Any] | None = None,
) -> dg.MaterializeResult:
    """Write one file through ``write`` into a new version and commit it."""
    filename = f"{task.source}.{task.format}"
    with catalog.start_publish(
        task.source, content_hash=content, upstream=upstream, fetched_at=fetched_at, run_id=context.run.run_id
    ) as draft:
        with draft.open_file(filename) as out:
            report = write(out)
            out.rows = report.rows
        notes = {
            **(extra or {}),
            **report.notes,
            "unknown_columns": list(report.unknown_columns),
            "missing_columns": list(report.missing_columns),
        }
        result = draft.commit(report.schema, extra=notes)
    if report.unknown_columns:
        context.log.warning(
            f"{task.source}: {len(report.unknown_columns)} column(s) not in the declared schema, kept as text: "
            + ", ".join(report.unknown_columns)
        )
    if report.missing_columns:
        context.log.warning(
            f"{task.source}: {len(report.missing_columns)} declared column(s) absent upstream, written as nulls: "
            + ", ".join(report.missing_columns)
        )
    return publish_result(context, catalog, task, result)


def publish_result(
    context: dg.AssetExecutionContext, catalog: Catalog, task: PrebuiltTask, result: PublishResult
) -> dg.MaterializeResult:
    """The materialization of a commit: "unchanged" with the current version, or the new version."""
    if result.status == "unchanged":
        return unchanged(context, catalog, task, result.manifest, "same content hash as the current version")
    where = "current" if result.current else f"not current: a newer version is ({result.previous_version})"
    context.log.info(
        f"{task.source}: published version {result.version} ({result.manifest.rows:,} rows, {where})"
    )
    return dg.MaterializeResult(
        metadata={
            **describe(catalog, result.manifest),
            "status": "published",
            "previous_version": result.previous_version or "",
        },
        data_version=dg.DataVersion(result.version),
    )


def describe(catalog: Catalog, manifest: Manifest) -> dict[str, Any]:
    """Materialization metadata: rows, bytes, version, path and schema (rows plot over time in the UI)."""
    files = catalog.list_files(manifest.source, manifest.version)
    columns = [
        dg.TableColumn(c["name"], c["type"], description=c.get("description")) for c in manifest.schema
    ]
    return {
        "dagster/row_count": manifest.rows,
        "rows": manifest.rows,
        "bytes": manifest.bytes,
        "version": manifest.version,
        "path": dg.MetadataValue.path(files[0].location if files else catalog.root),
        "content_hash": manifest.content_hash,
        "fetched_at": manifest.fetched_at,
        "upstream": dg.MetadataValue.json([u.url for u in manifest.upstream]),
        "unknown_columns": dg.MetadataValue.json(manifest.extra.get("unknown_columns", [])),
        "dagster/column_schema": dg.TableSchema(columns=columns),
    }


def now() -> datetime:
    return datetime.now(UTC)


def validators_for(current: Manifest | None, url: str, schema_version: str) -> Validators | None:
    """ETag/Last-Modified the current version saw at ``url``, for a conditional GET; None when the
    current version was built by another schema version (then we must re-parse anyway)."""
    if current is None or current.extra.get("schema_version") != schema_version:
        return None
    for up in current.upstream:
        if up.url == url and (up.etag or up.last_modified):
            return Validators(etag=up.etag, last_modified=up.last_modified)
    return None

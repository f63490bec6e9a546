"""Asset checks every prebuilt source gets, built from its task and key.

(No `from __future__ import annotations` here or in assets: Dagster reads the annotations.)

They read the published catalog version, not the run's memory, so they can be re-run from the UI.
"""

from collections.abc import Callable

import dagster as dg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from bgtasks.catalog import Catalog, Manifest
from prebuilt_assets.catalog_tasks import PrebuiltTask
from prebuilt_assets.resources import CatalogResource

KeyFilter = Callable[[pa.Table], pa.Table]


def build_checks(
    task: PrebuiltTask,
    key: tuple[str, ...],
    key_filter: KeyFilter | None = None,
    filter_columns: tuple[str, ...] = (),
    filter_text: str = "",
) -> list[dg.AssetChecksDefinition]:
    """rows > 0 (error), key unique (error), row-count change against the previous version (warning)."""
    asset_key = dg.AssetKey(list(task.asset_key))
    key_text = " + ".join(key)

    @dg.asset_check(asset=asset_key, name="has_rows", description="The current version has at least one row.")
    def has_rows(catalog: CatalogResource) -> dg.AssetCheckResult:
        manifest = _current(catalog.get(), task)
        return dg.AssetCheckResult(
            passed=manifest.rows > 0, metadata={"rows": manifest.rows, "version": manifest.version}
        )

    @dg.asset_check(
        asset=asset_key,
        name="key_unique",
        description=f"{key_text} is unique{' ' + filter_text if filter_text else ''} and never null.",
    )
    def key_unique(catalog: CatalogResource) -> dg.AssetCheckResult:
        cat = catalog.get()
        manifest = _current(cat, task)
        table = _read_columns(cat, manifest, key + filter_columns)
        if key_filter is not None:
            table = key_filter(table)
        keys = table.select(list(key))
        nulls = sum(keys.column(k).null_count for k in key)
        counts = keys.group_by(list(key)).aggregate([([], "count_all")])
        dupes = counts.filter(pc.greater(counts["count_all"], 1))
        sample = dupes.slice(0, 5).to_pylist()
        return dg.AssetCheckResult(
            passed=nulls == 0 and dupes.num_rows == 0,
            metadata={
                "rows_checked": keys.num_rows,
                "null_keys": nulls,
                "duplicate_keys": dupes.num_rows,
                "examples": dg.MetadataValue.json(sample),
            },
        )

    @dg.asset_check(
        asset=asset_key,
        name="row_count_change",
        description="Row count moved by no more than the bound (BGTASKS_PREBUILT_ROW_CHANGE_WARN_FRACTION) "
        "against the previous version.",
    )
    def row_count_change(catalog: CatalogResource) -> dg.AssetCheckResult:
        from bgtasks.settings import get_settings

        bound = get_settings().prebuilt_row_change_warn_fraction
        cat = catalog.get()
        manifest = _current(cat, task)
        previous = cat.previous_version(task.source, manifest.version)
        if previous is None:
            return dg.AssetCheckResult(
                passed=True,
                severity=dg.AssetCheckSeverity.WARN,
                metadata={"rows": manifest.rows, "previous_rows": None},
            )
        change = (manifest.rows - previous.rows) / previous.rows if previous.rows else float("inf")
        return dg.AssetCheckResult(
            passed=abs(change) <= bound,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={
                "rows": manifest.rows,
                "previous_rows": previous.rows,
                "previous_version": previous.version,
                "change": round(change, 4),
                "bound": bound,
            },
        )

    return [has_rows, key_unique, row_count_change]


def build_nested_check(task: PrebuiltTask) -> dg.AssetChecksDefinition:
    """For a task that also publishes nested JSONL: that Source's current version holds the same content
    (hash) and record count as the flat one, i.e. readers of either see the same edition (error)."""
    assert task.nested_source is not None, task.name
    nested_source = task.nested_source

    @dg.asset_check(
        asset=dg.AssetKey(list(task.asset_key)),
        name="nested_matches_flat",
        description=f"The current version of {nested_source} holds the same edition and record count as "
        f"the current version of {task.source}.",
    )
    def nested_matches_flat(catalog: CatalogResource) -> dg.AssetCheckResult:
        cat = catalog.get()
        flat = _current(cat, task)
        nested = cat.find_current(nested_source)
        return dg.AssetCheckResult(
            passed=nested is not None
            and nested.content_hash == flat.content_hash
            and nested.rows == flat.rows,
            metadata={
                "rows": flat.rows,
                "version": flat.version,
                "nested_rows": nested.rows if nested else None,
                "nested_version": nested.version if nested else None,
            },
        )

    return nested_matches_flat


def _current(catalog: Catalog, task: PrebuiltTask) -> Manifest:
    manifest = catalog.find_current(task.source)
    if manifest is None:
        raise dg.Failure(f"{task.source}: no current version in the catalog at {catalog.root}")
    return manifest


def _read_columns(catalog: Catalog, manifest: Manifest, columns: tuple[str, ...]) -> pa.Table:
    tables = [
        pq.read_table(
            catalog.file_path(manifest.source, manifest.version, f.path),
            columns=list(dict.fromkeys(columns)),
            filesystem=catalog.storage.fs,
        )
        for f in manifest.files
    ]
    return pa.concat_tables(tables)

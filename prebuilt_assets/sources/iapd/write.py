"""Write one IAPD feed file as JSONL (nested records) and Parquet (flat typed rows), streaming."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from prebuilt_assets.errors import SourceFormatError
from prebuilt_assets.sources.iapd.parse import FeedMembers, FeedRecord, iter_records, zip_members
from prebuilt_assets.sources.iapd.schema import flat_table_for
from prebuilt_assets.sources.iapd.settings import IapdFeed
from prebuilt_assets.tabular import Output

DEFAULT_BATCH_ROWS = 10_000
_WRITE_BUFFER = 1024 * 1024


@dataclass(frozen=True)
class FeedOutputs:
    """What ``write_feed`` wrote, for the asset's metadata."""

    feed: str
    records: int
    generated_on: date | None
    """The newest GenOn date of the feed's documents."""
    members: tuple[str, ...]
    """The files or zip members parsed, in order."""
    ignored_members: tuple[str, ...]
    """Zip members that are not feed data; not parsed."""


def write_feed(
    feed: IapdFeed,
    source_path: Path,
    jsonl: Path | BinaryIO,
    parquet: Path | Output,
    *,
    source_url: str | None = None,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    progress: Callable[[int], None] | None = None,
) -> FeedOutputs:
    """Stream the downloaded feed at ``source_path`` into one JSONL line and one Parquet row per record.

    JSONL is UTF-8, one compact JSON object per line, nested as ``parse.element_to_dict`` builds it.
    ``jsonl`` and ``parquet`` are paths or writable binary streams (the catalog's staged files).

    Parquet rows are written in record batches of ``batch_rows``, so memory stays flat. On any error
    the exception propagates; outputs given as paths are removed first, so nothing half-written is left
    to publish (a catalog draft discards its own files).
    """
    members = (
        zip_members(feed, source_path)
        if feed.container == "zip"
        else FeedMembers(parsed=(source_path.name,), ignored=())
    )
    try:
        with ExitStack() as stack:
            jsonl_out = (
                stack.enter_context(jsonl.open("wb", buffering=_WRITE_BUFFER))
                if isinstance(jsonl, Path)
                else jsonl
            )
            records, generated_on = _write_records(
                feed,
                source_path,
                jsonl_out,
                str(parquet) if isinstance(parquet, Path) else parquet,
                source_url=source_url,
                batch_rows=batch_rows,
                progress=progress,
            )
    except BaseException:
        for output in (jsonl, parquet):
            if isinstance(output, Path):
                output.unlink(missing_ok=True)
        raise
    return FeedOutputs(
        feed=feed.name,
        records=records,
        generated_on=generated_on,
        members=members.parsed,
        ignored_members=members.ignored,
    )


def _write_records(
    feed: IapdFeed,
    source_path: Path,
    jsonl: BinaryIO,
    parquet: Output,
    *,
    source_url: str | None,
    batch_rows: int,
    progress: Callable[[int], None] | None,
) -> tuple[int, date | None]:
    table = flat_table_for(feed)
    dumps, newline = orjson.dumps, orjson.OPT_APPEND_NEWLINE
    records = 0
    generated_on: date | None = None
    with pq.ParquetWriter(parquet, table.schema, compression="zstd") as writer:
        rows: list[tuple[Any, ...]] = []
        lines: list[bytes] = []
        for record in iter_records(feed, source_path, source_url):
            lines.append(dumps(record.data, option=newline))
            try:
                rows.append(table.row(record.data, record.generated_on))
            except ValueError as exc:
                where = source_url or source_path.name
                raise _bad_value(feed, record, where, source_path.name, exc) from exc
            records += 1
            if record.generated_on and (generated_on is None or record.generated_on > generated_on):
                generated_on = record.generated_on
            if len(rows) >= batch_rows:
                # One write per batch: the catalog's file hashes every write it is given.
                jsonl.write(b"".join(lines))
                writer.write_batch(rows_to_batch(table.schema, rows))
                rows.clear()
                lines.clear()
                if progress is not None:
                    progress(records)
        if rows:
            jsonl.write(b"".join(lines))
            writer.write_batch(rows_to_batch(table.schema, rows))
    return records, generated_on


def _bad_value(
    feed: IapdFeed, record: FeedRecord, where: str, file_name: str, exc: ValueError
) -> SourceFormatError:
    """The error for a record whose value does not have its documented type."""
    info = record.data.get("Info")
    key = (info.get("FirmCrdNb") or info.get("indvlPK")) if isinstance(info, dict) else None
    location = where if record.member == file_name else f"{where} member {record.member}"
    return SourceFormatError(feed.name, location, f"record with CRD {key}: {exc}")


def rows_to_batch(schema: pa.Schema, rows: list[tuple[Any, ...]]) -> pa.RecordBatch:
    """One Arrow record batch from row tuples in schema column order."""
    columns = zip(*rows, strict=True) if rows else ([] for _ in schema)
    arrays = [pa.array(column, type=field.type) for column, field in zip(columns, schema, strict=True)]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)

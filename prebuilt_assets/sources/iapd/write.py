"""Write one IAPD feed file as JSONL (nested records) and Parquet (flat typed rows), streaming."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Protocol

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from prebuilt_assets.errors import SourceFormatError
from prebuilt_assets.sources.iapd.flat import BadValue, to_batch
from prebuilt_assets.sources.iapd.parse import FeedMembers, gc_paused, iter_batches, zip_members
from prebuilt_assets.sources.iapd.schema import FlatTable, flat_table_for
from prebuilt_assets.sources.iapd.settings import IapdFeed
from prebuilt_assets.tabular import Output

DEFAULT_BATCH_ROWS = 10_000


class BinarySink(Protocol):
    """Where the JSONL goes: a binary file or the catalog's ``FileWriter``."""

    def write(self, data: bytes, /) -> int: ...


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
    jsonl: Path | BinarySink | None,
    parquet: Path | Output | None,
    *,
    source_url: str | None = None,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    progress: Callable[[int], None] | None = None,
) -> FeedOutputs:
    """Stream the downloaded feed at ``source_path`` into one JSONL line and one Parquet row per record.

    JSONL is UTF-8, one compact JSON object per line, nested as ``parse.element_to_dict`` builds it.
    Parquet rows are typed column-wise per batch (``flat.py``).
    ``jsonl`` and ``parquet`` are paths or writable binary streams (the catalog's staged files); None
    parses and types everything but writes nothing there (a dry run; the benchmark's "parse" case).

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
        # No reference cycles are made here, so the cycle collector would only walk the records and
        # the whole heap over and over (measured: over half the run in a process with pyarrow loaded).
        with ExitStack() as stack, gc_paused():
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
    jsonl: BinarySink | None,
    parquet: Output | None,
    *,
    source_url: str | None,
    batch_rows: int,
    progress: Callable[[int], None] | None,
) -> tuple[int, date | None]:
    table = flat_table_for(feed)
    values = table.values
    dumps, newline = orjson.dumps, orjson.OPT_APPEND_NEWLINE
    where = source_url or source_path.name
    records = 0
    newest: date | None = None
    pending = _Pending()
    with ExitStack() as stack:
        writer = (
            stack.enter_context(pq.ParquetWriter(parquet, table.schema, compression="zstd"))
            if parquet is not None
            else None
        )

        def flush(whole: bool) -> None:
            """Write full row groups of ``batch_rows``; with ``whole``, the rest too."""
            location = where if pending.member == source_path.name else f"{where} member {pending.member}"
            rows = pending.rows
            while len(rows) >= batch_rows or (whole and rows):
                pending.rows, rows = rows[:batch_rows], rows[batch_rows:]
                typed = _typed_batch(feed, table, pending, location)
                if writer is not None:
                    writer.write_batch(typed)
            pending.rows = rows
            if progress is not None:
                progress(records)

        for batch in iter_batches(feed, source_path, source_url):
            if (batch.member, batch.generated_on) != (pending.member, pending.generated_on):
                flush(whole=True)
                pending.member, pending.generated_on = batch.member, batch.generated_on
            # The catalog's file hashes every write it is given: one write per parser batch.
            if jsonl is not None:
                jsonl.write(b"".join([dumps(record, option=newline) for record in batch.records]))
            pending.rows += [values(record) for record in batch.records]
            records += len(batch.records)
            if batch.generated_on and (newest is None or batch.generated_on > newest):
                newest = batch.generated_on
            if len(pending.rows) >= batch_rows:
                flush(whole=False)
        flush(whole=True)
    return records, newest


@dataclass
class _Pending:
    """Raw flat rows of one document waiting to become a Parquet row group."""

    member: str = ""
    generated_on: date | None = None
    rows: list[tuple[Any, ...]] = field(default_factory=list)


def _typed_batch(feed: IapdFeed, table: FlatTable, pending: _Pending, location: str) -> pa.RecordBatch:
    try:
        return to_batch(table, pending.generated_on, pending.rows)
    except BadValue as exc:
        raise SourceFormatError(feed.name, location, f"record with CRD {exc.key}: {exc}") from exc

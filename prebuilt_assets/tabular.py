"""Declared output schemas and the streaming CSV -> Parquet path the file sources share.

A source declares a ``TableSpec``: its known columns with Arrow types and descriptions, which of
them are required, and its key. Parsing maps columns by name, so column order upstream does not
matter. A required column that is missing fails the run; a known optional column that is missing
becomes an all-null column (the output schema stays stable between versions); a column we do not
know is kept as text and reported.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import functools
import io
import os
import re
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import IO, Any, TypeAlias

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from prebuilt_assets.errors import ContentError, IncompleteError, SchemaError
from prebuilt_assets.line_blocks import prefetch, utf8_line_blocks

RowProgress = Callable[[int], None]
# Where a parser writes: a path, a binary file, a pyarrow stream, or the catalog's FileWriter.
Output: TypeAlias = IO[bytes] | io.RawIOBase | pa.NativeFile | str

# A row group is written when either bound is reached. Rows of different sources differ tenfold in
# width (ECB ~240 bytes in Arrow, NCCS ~1.7 KB), so the byte bound is what keeps wide tables' memory flat.
# Two groups are in memory at once (one filling, one being written on the writer thread).
ROW_GROUP_ROWS = 64 * 1024
ROW_GROUP_BYTES = 64 << 20
# UTF-8 text per pyarrow.csv.read_csv call (parsed on pyarrow's threads in 1 MB pieces). Small, so
# that the blocks in flight (being read, queued, being parsed) stay a few MB whatever the file.
TEXT_BLOCK_BYTES = 2 << 20
# Files up to this size are parsed in one read_csv call: streaming's fixed costs (a reader thread,
# transcoding to UTF-8, a parse per block) are a third of the time of a small file, and a table of
# this size is no larger than the streaming path's own buffers.
WHOLE_FILE_BYTES = 64 << 20
# zstd level 1: measured smaller than level 3 on these tables (ECB 398 vs 425 KB per 100,000 rows,
# NCCS 3.77 vs 3.91 MB per 500,000) and as fast to write as snappy, at 2.5x smaller files.
PARQUET_OPTIONS: dict[str, Any] = {"compression": "zstd", "compression_level": 1}


@dataclass(frozen=True)
class Column:
    name: str
    type: pa.DataType
    description: str = ""


@dataclass(frozen=True)
class TableSpec:
    """The explicit output schema of one source."""

    source: str
    columns: tuple[Column, ...]
    required: frozenset[str]
    key: tuple[str, ...]

    def __post_init__(self) -> None:
        names = {c.name for c in self.columns}
        assert self.required <= names and set(self.key) <= names, self.source

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column | None:
        return self._by_name.get(name)

    @property
    def _by_name(self) -> dict[str, Column]:
        return {c.name: c for c in self.columns}

    def resolve(self, present: Iterable[str], url: str) -> ResolvedSchema:
        """The output schema for a file with columns ``present``: declared columns in declared order,
        then unknown ones as text. Fails when a required column is absent."""
        present = list(present)
        seen = set(present)
        missing_required = sorted(self.required - seen)
        if missing_required:
            raise SchemaError(
                self.source,
                url,
                f"required column(s) missing: {', '.join(missing_required)} (found {len(present)} columns)",
            )
        by_name = self._by_name
        unknown = [n for n in present if n not in by_name]
        fields = [_field(c) for c in self.columns]
        fields += [
            pa.field(n, pa.string(), metadata={"description": "not in the declared schema; kept as text"})
            for n in unknown
        ]
        return ResolvedSchema(
            schema=pa.schema(fields),
            unknown=tuple(unknown),
            missing=tuple(n for n in self.names if n not in seen),
        )


@dataclass(frozen=True)
class ResolvedSchema:
    schema: pa.Schema
    unknown: tuple[str, ...]
    missing: tuple[str, ...]


@dataclass
class ParseReport:
    """What a parse wrote: row count, schema, and what differed from the declared schema."""

    rows: int
    schema: pa.Schema
    unknown_columns: tuple[str, ...] = ()
    missing_columns: tuple[str, ...] = ()
    notes: dict[str, Any] = field(default_factory=dict)


def _field(column: Column) -> pa.Field:
    meta = {"description": column.description} if column.description else None
    return pa.field(column.name, column.type, metadata=meta)


class ParquetSink:
    """Writes batches conformed to one schema into Parquet row groups of at most about
    ``ROW_GROUP_ROWS`` rows or ``ROW_GROUP_BYTES`` of Arrow data, whichever comes first.

    Each full group is transformed, then written on a writer thread while the caller transforms and
    parses the next (encoding and compression release the GIL): NCCS 5.15 s -> 3.67 s per 500,000
    rows on 2 cores.
    A failed write is raised by the next ``write`` that fills a group, or by ``close``.
    """

    def __init__(
        self,
        out: Output,
        schema: pa.Schema,
        progress: RowProgress | None = None,
        transform: Callable[[pa.Table], pa.Table] | None = None,
        unique_columns: Iterable[str] = (),
    ):
        self.schema = schema
        # Applied to each row group as a whole: per-call costs of pyarrow compute are paid per
        # group, not per parsed block.
        self._transform = transform
        # A column of unique values (a table's key) gains nothing from a dictionary: building one per
        # row group only costs (ECB at 1,000,000 rows: 0.51 s -> 0.46 s of writing).
        unique = set(unique_columns)
        dictionary = [name for name in schema.names if name not in unique]
        self._writer = pq.ParquetWriter(out, schema, use_dictionary=dictionary, **PARQUET_OPTIONS)
        self._pending: list[pa.RecordBatch] = []
        self._writing: Future[None] | None = None
        self._pending_rows = 0
        self._pending_bytes = 0
        self._progress = progress
        self.rows = 0

    def write(self, data: pa.RecordBatch | pa.Table) -> None:
        batches = data.to_batches() if isinstance(data, pa.Table) else [data]
        for batch in batches:
            batch = conform(batch, self.schema)
            self._pending.append(batch)
            self._pending_rows += batch.num_rows
            self._pending_bytes += batch.nbytes
            self.rows += batch.num_rows
            if self._pending_rows >= ROW_GROUP_ROWS or self._pending_bytes >= ROW_GROUP_BYTES:
                self._flush()
        if self._progress is not None:
            self._progress(self.rows)

    def _flush(self) -> None:
        if self._pending:
            table = pa.Table.from_batches(self._pending, self.schema)
            self._pending, self._pending_rows, self._pending_bytes = [], 0, 0
            if self._transform is not None:
                table = self._transform(table)  # while the previous group is being written
            self._wait_for_write()
            self._writing = _writer_thread().submit(self._write_group, table)

    def _write_group(self, table: pa.Table) -> None:
        self._writer.write_table(table, row_group_size=1 << 30)
        del table
        # Tables made on the parsing threads are freed here, on another thread, and the allocator
        # (mimalloc) kept those pages: the peak grew with the file (measured with 32 MiB groups: NCCS
        # 227 MB at 1x, 257 MB at 4x). Handing them back after each group kept it flat (219 MB at 1x
        # and at 4x), at no measured cost.
        pa.default_memory_pool().release_unused()

    def _wait_for_write(self) -> None:
        if self._writing is not None:
            writing, self._writing = self._writing, None
            writing.result()

    def close(self) -> None:
        try:
            self._flush()
            self._wait_for_write()
        finally:
            self._writer.close()


def map_columns(function: Callable[[pa.ChunkedArray], pa.ChunkedArray], table: pa.Table) -> pa.Table:
    """``table`` with ``function`` applied to each column, the columns spread over the CPUs.

    pyarrow's compute kernels run one call on one thread and release the GIL, so columns converted
    side by side take about 1/CPUs of the time (ECB's trim of 14 columns: 18 ms -> 11 ms per 100,000
    rows on 2 cores).
    """
    return pa.Table.from_arrays(list(_column_threads().map(function, table.columns)), schema=table.schema)


@functools.cache
def _writer_thread() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="parquet-writer")


@functools.cache
def _column_threads() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="columns")


def conform(batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
    """``batch`` with ``schema``'s columns in order: missing ones as nulls, others cast if needed."""
    if batch.schema.equals(schema, check_metadata=False):
        return pa.RecordBatch.from_arrays(batch.columns, schema=schema)
    arrays = []
    names = batch.schema.names
    for f in schema:
        if f.name in names:
            col = batch.column(names.index(f.name))
            arrays.append(col if col.type == f.type else col.cast(f.type))
        else:
            arrays.append(pa.nulls(batch.num_rows, f.type))
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def read_header(stream: IO[bytes], encoding: str, delimiter: str) -> list[str]:
    """Column names from the first line of a delimited text stream in any encoding (BOM, CR stripped)."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    text = decoder.decode(stream.read(1 << 16), final=False)
    line = text.split("\n", 1)[0].lstrip("\ufeff").rstrip("\r")
    if delimiter == "\t":
        return [n.strip() for n in line.split("\t")]
    return [n.strip() for n in next(csv.reader(io.StringIO(line), delimiter=delimiter))]


_CSV_ERROR = re.compile(r"column #(\d+): (?:Row #(\d+): )?(.*)", re.S)


def explain_csv_error(exc: pa.ArrowInvalid, names: list[str]) -> str:
    """Turn a pyarrow CSV conversion error into 'column NAME, row N: problem'."""
    text = str(exc)
    match = _CSV_ERROR.search(text)
    if not match:
        return text.splitlines()[0] if text else repr(exc)
    index, row, problem = int(match.group(1)), match.group(2), match.group(3).strip()
    name = names[index] if index < len(names) else f"#{index}"
    return f"column {name}, line {row}: {problem}" if row else f"column {name}: {problem}"


def _size_at_most(open_stream: Callable[[], pa.NativeFile], limit: int) -> bool:
    """Whether the stream's (uncompressed) size is known and at most ``limit``."""
    with open_stream() as stream:
        try:
            return stream.size() <= limit
        except (pa.ArrowNotImplementedError, OSError):
            return False  # a compressed stream: its size is unknown until read


def stream_delimited(
    open_stream: Callable[[], pa.NativeFile],
    *,
    spec: TableSpec,
    url: str,
    out: Output,
    encoding: str,
    parse_options: pcsv.ParseOptions,
    transform: Callable[[pa.Table], pa.Table] | None = None,
    progress: RowProgress | None = None,
    block_size: int = TEXT_BLOCK_BYTES,
    whole_file_bytes: int = WHOLE_FILE_BYTES,
) -> ParseReport:
    """Parse a delimited file block by block with declared column types and write Parquet.

    A background thread reads (and, if the file is not UTF-8, transcodes) the next ``block_size``
    bytes of lines while this one parses the current block on pyarrow's threads, trims and writes it.
    Memory is bounded by ``block_size`` and the row-group size, not by the file's size. Values must
    not contain newlines (quoting off, or ``newlines_in_values=False``): blocks are cut at line ends.
    """
    with open_stream() as head:
        names = read_header(head, "utf-8-sig" if encoding == "utf-8" else encoding, parse_options.delimiter)
    resolved = spec.resolve(names, url)
    types = {f.name: f.type for f in resolved.schema if f.name in names}
    read_options = pcsv.ReadOptions(column_names=names, use_threads=True)
    convert_options = pcsv.ConvertOptions(
        column_types=types,
        null_values=[""],
        strings_can_be_null=True,
        true_values=["1", "Y", "y", "true", "TRUE"],
        false_values=["0", "N", "n", "false", "FALSE"],
    )

    def blocks() -> Iterator[pa.Buffer]:
        with open_stream() as stream:
            yield from utf8_line_blocks(stream, encoding, block_size)

    sink = ParquetSink(out, resolved.schema, progress, transform, unique_columns=spec.key)
    try:
        if _size_at_most(open_stream, whole_file_bytes):
            whole = pcsv.ReadOptions(column_names=names, skip_rows=1, encoding=encoding, use_threads=True)
            with open_stream() as stream:
                sink.write(pcsv.read_csv(stream, whole, parse_options, convert_options))
        else:
            with contextlib.closing(prefetch(blocks, name=f"{spec.source}-reader")) as texts:
                for text in texts:
                    table = pcsv.read_csv(
                        pa.BufferReader(text),
                        read_options=read_options,
                        parse_options=parse_options,
                        convert_options=convert_options,
                    )
                    del text
                    sink.write(table)
    except pa.ArrowInvalid as exc:
        raise SchemaError(spec.source, url, explain_csv_error(exc, names)) from exc
    except UnicodeDecodeError as exc:
        raise ContentError(spec.source, url, f"cannot decode the file as {encoding}: {exc.reason}") from exc
    finally:
        sink.close()
    if sink.rows == 0:
        raise IncompleteError(spec.source, url, "empty result: the file has a header but no rows")
    return ParseReport(sink.rows, resolved.schema, resolved.unknown, resolved.missing)

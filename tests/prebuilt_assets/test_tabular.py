"""The Parquet sink the file sources share: groups written on a writer thread, in order, errors raised."""

from __future__ import annotations

import io
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from prebuilt_assets import tabular
from prebuilt_assets.tabular import ParquetSink, map_columns

SCHEMA = pa.schema([("id", pa.int64()), ("kind", pa.string())])


def batch(start: int, rows: int) -> pa.RecordBatch:
    ids = list(range(start, start + rows))
    return pa.RecordBatch.from_pydict({"id": ids, "kind": [f"k{i % 3}" for i in ids]}, schema=SCHEMA)


def test_groups_are_written_in_order_and_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tabular, "ROW_GROUP_ROWS", 100)
    sink = ParquetSink(str(tmp_path / "out.parquet"), SCHEMA, unique_columns=["id"])
    for start in range(0, 1_000, 37):
        sink.write(batch(start, 37))
    sink.close()

    table = pq.read_table(tmp_path / "out.parquet")
    assert table.column("id").to_pylist() == list(range(0, 1_036))
    meta = pq.ParquetFile(tmp_path / "out.parquet").metadata
    assert meta.num_row_groups > 5
    assert all(meta.row_group(i).num_rows <= 137 for i in range(meta.num_row_groups))


def test_the_key_column_has_no_dictionary(tmp_path: Path) -> None:
    sink = ParquetSink(str(tmp_path / "out.parquet"), SCHEMA, unique_columns=["id"])
    sink.write(batch(0, 1_000))
    sink.close()

    group = pq.ParquetFile(tmp_path / "out.parquet").metadata.row_group(0)
    assert not group.column(0).has_dictionary_page
    assert group.column(1).has_dictionary_page


class FailingOutput(io.RawIOBase):
    """A file that takes the header and then runs out of space."""

    def __init__(self) -> None:
        self.written = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:  # type: ignore[override]
        if self.written > 0:
            raise OSError(28, "No space left on device")
        self.written += len(data)
        return len(data)


def test_a_failed_write_on_the_writer_thread_is_raised_to_the_caller(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tabular, "ROW_GROUP_ROWS", 100)
    sink = ParquetSink(FailingOutput(), SCHEMA)

    with pytest.raises(OSError, match="No space left on device"):
        for start in range(0, 10_000, 100):
            sink.write(batch(start, 100))
        sink.close()


def test_map_columns_keeps_order_and_schema() -> None:
    table = pa.table({"a": [" x ", None], "b": [1, 2], "c": ["\xa0y", "z "]})

    def trim(column: pa.ChunkedArray) -> pa.ChunkedArray:
        return pc.utf8_trim_whitespace(column) if pa.types.is_string(column.type) else column

    result = map_columns(trim, table)

    assert result.schema == table.schema
    assert result.to_pydict() == {"a": ["x", None], "b": [1, 2], "c": ["y", "z"]}

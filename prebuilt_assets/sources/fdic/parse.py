"""Saved BankFind pages -> Parquet, one page in memory at a time. Pure.

Each value is coerced to its column's declared type; a value that cannot be (``"abc"`` in an integer
column) fails the run naming the column and the value, rather than being silently nulled.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any

import pyarrow as pa

from prebuilt_assets.errors import SchemaError
from prebuilt_assets.sources.fdic.client import read_records
from prebuilt_assets.tabular import Output, ParquetSink, ParseReport, RowProgress, TableSpec

_TRUE = {1, "1", "Y", "y", "YES", "true", "TRUE"}
_FALSE = {0, "0", "N", "n", "NO", "false", "FALSE"}


class _Bad(ValueError):
    pass


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _to_int(v: Any) -> int | None:
    if _blank(v):
        return None
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        if v.is_integer():
            return int(v)
        raise _Bad(v)
    try:
        return int(str(v).strip())
    except ValueError:
        try:
            d = Decimal(str(v).strip())
        except InvalidOperation as exc:
            raise _Bad(v) from exc
        if d != d.to_integral_value():
            raise _Bad(v) from None
        return int(d)


def _to_bool(v: Any) -> bool | None:
    if _blank(v):
        return None
    key = v.strip() if isinstance(v, str) else v
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    raise _Bad(v)


def _to_float(v: Any) -> float | None:
    if _blank(v):
        return None
    try:
        return float(v)
    except (TypeError, ValueError) as exc:
        raise _Bad(v) from exc


def _decimal(scale: int) -> Callable[[Any], Decimal | None]:
    quantum = Decimal(1).scaleb(-scale)

    def convert(v: Any) -> Decimal | None:
        if _blank(v):
            return None
        try:
            return Decimal(str(v).strip()).quantize(quantum, rounding=ROUND_HALF_EVEN)
        except InvalidOperation as exc:
            raise _Bad(v) from exc

    return convert


@lru_cache(maxsize=65536)
def _to_date_text(v: str) -> date:
    for fmt in ("%m/%d/%Y", "%d-%b-%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(v, fmt).date()
        except ValueError:
            continue
    raise _Bad(v)


def _to_date(v: Any) -> date | None:
    return None if _blank(v) else _to_date_text(str(v).strip())


def _to_text(v: Any) -> str | None:
    if _blank(v):
        return None
    return v if isinstance(v, str) else str(v)


def converter(arrow_type: pa.DataType) -> Callable[[Any], Any]:
    if pa.types.is_integer(arrow_type):
        return _to_int
    if pa.types.is_boolean(arrow_type):
        return _to_bool
    if pa.types.is_floating(arrow_type):
        return _to_float
    if pa.types.is_decimal(arrow_type):
        return _decimal(arrow_type.scale)
    if pa.types.is_date(arrow_type):
        return _to_date
    return _to_text


def records_to_batch(records: list[dict], schema: pa.Schema, source: str, url: str) -> pa.RecordBatch:
    """One page of records as a batch of ``schema``; absent keys are nulls."""
    arrays = []
    for f in schema:
        convert = converter(f.type)
        try:
            values = [convert(r.get(f.name)) for r in records]
            arrays.append(pa.array(values, type=f.type))
        except _Bad as exc:
            raise SchemaError(
                source, url, f"column {f.name}: {exc.args[0]!r} is not a valid {f.type}"
            ) from exc
        except (pa.ArrowInvalid, OverflowError) as exc:
            raise SchemaError(source, url, f"column {f.name}: {exc}") from exc
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def parse_pages(
    pages: Iterable[Path],
    fields: Iterable[str],
    out: Output,
    *,
    spec: TableSpec,
    url: str,
    progress: RowProgress | None = None,
) -> ParseReport:
    """Write the saved pages to ``out`` as Parquet. ``fields`` are the keys seen in any record."""
    resolved = spec.resolve(sorted(fields), url)
    sink = ParquetSink(out, resolved.schema, progress, unique_columns=spec.key)
    try:
        for path in pages:
            records = read_records(path)
            if records:
                sink.write(records_to_batch(records, resolved.schema, spec.source, url))
    finally:
        sink.close()
    return ParseReport(sink.rows, resolved.schema, resolved.unknown, resolved.missing)

"""Typed Arrow batches of the flat IAPD tables, converted a column at a time.

Per record, Python only picks the raw values (``schema.firm_values``, ``schema.representative_values``);
turning the feed's strings into integers, dates and booleans is done by pyarrow for a whole batch.
Conventions (``schema.py``): an absent, empty or blank value is null; ``Y``/``N`` are booleans; dates
are the first ten characters, ``YYYY-MM-DD``. A value that does not convert fails the batch with the
record's CRD number and the attribute, found by a second, per-value pass that only runs then.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from prebuilt_assets.sources.iapd.schema import Column, FlatTable


class BadValue(ValueError):
    """A feed value that does not have its column's type; ``index`` is the record's place in the batch."""

    def __init__(self, index: int, key: Any, problem: str) -> None:
        super().__init__(problem)
        self.index = index
        self.key = key


def to_batch(table: FlatTable, generated_on: date | None, rows: Sequence[tuple[Any, ...]]) -> pa.RecordBatch:
    """One record batch of ``table`` from the raw value tuples of ``rows`` (all from one document)."""
    columns = table.columns[1:]
    raw = _raw_arrays(columns, rows)
    keys = raw[0]
    arrays = [pa.array([generated_on] * len(rows), pa.date32())]
    arrays += [_convert(column, values, keys) for column, values in zip(columns, raw, strict=True)]
    return pa.RecordBatch.from_arrays(arrays, schema=table.schema)


def _raw_arrays(columns: Sequence[Column], rows: Sequence[tuple[Any, ...]]) -> list[pa.Array]:
    """The raw columns: the feed's strings for attribute columns, typed values for computed ones.

    Built as one struct array straight from the row tuples (half the time of a Python transpose and
    one array per column); a value of the wrong kind sends the batch down the per-column path.
    """
    raw_type = pa.struct([pa.field(c.name, pa.string() if c.attribute else c.type) for c in columns])
    try:
        return pa.array(rows, type=raw_type).flatten()
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        transposed = list(zip(*rows, strict=True)) if rows else [() for _ in columns]
        return [
            _strings(values) if column.attribute else pa.array(values, column.type)
            for column, values in zip(columns, transposed, strict=True)
        ]


def _convert(column: Column, raw: pa.Array, keys: pa.Array) -> pa.Array:
    if column.attribute is None:
        return raw
    text = _blank_is_null(raw)
    if pa.types.is_string(column.type):
        array = text
    elif pa.types.is_int64(column.type):
        array = _converted(text, lambda a: pc.cast(a, pa.int64()), column, keys, _whole_number)
    elif pa.types.is_date32(column.type):
        array = _converted(text, _iso_dates, column, keys, _iso_date)
    elif pa.types.is_boolean(column.type):
        array = _converted(text, _yes_no, column, keys, _y_or_n)
    else:  # pragma: no cover - the schemas above use only these types
        raise TypeError(f"no conversion for {column.type}")
    if not column.nullable and array.null_count:
        index = array.is_null().to_pylist().index(True)
        raise BadValue(index, None, f"{column.attribute} is missing")
    return array


def _strings(values: Sequence[Any]) -> pa.Array:
    try:
        return pa.array(values, pa.string())
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        # An element that collided with an attribute name, or a text value that had children: not text.
        return pa.array([v if v.__class__ is str else None for v in values], pa.string())


def _blank_is_null(text: pa.Array) -> pa.Array:
    blank = pc.or_(pc.equal(pc.utf8_length(text), 0), pc.utf8_is_space(text))
    if not pc.any(blank).as_py():
        return text
    return pc.if_else(blank, pa.scalar(None, pa.string()), text)


def _iso_dates(text: pa.Array) -> pa.Array:
    parsed = pc.strptime(pc.utf8_slice_codeunits(text, 0, 10), format="%Y-%m-%d", unit="s")
    return pc.cast(parsed, pa.date32())


def _yes_no(text: pa.Array) -> pa.Array:
    if not pc.all(pc.is_in(text.drop_null(), pa.array(["Y", "N"]))).as_py():
        raise pa.ArrowInvalid("a value is not Y or N")
    return pc.equal(text, "Y")


def _converted(
    text: pa.Array,
    convert: Callable[[pa.Array], pa.Array],
    column: Column,
    keys: pa.Array,
    check: Callable[[str, str], object],
) -> pa.Array:
    """``convert(text)``; when pyarrow refuses, Python's own reading of each value decides, and the
    first value it refuses too is reported."""
    try:
        return convert(text)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    converted = []
    for index, value in enumerate(text.to_pylist()):
        try:
            converted.append(None if value is None else check(column.attribute or column.name, value))
        except ValueError as exc:
            raise BadValue(index, keys[index].as_py(), str(exc)) from None
    return pa.array(converted, column.type)


def _whole_number(name: str, value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{name}={value!r} is not a whole number") from None


def _iso_date(name: str, value: str) -> date:
    try:
        # Dates are YYYY-MM-DD; a time part, if one ever appears, carries no information here.
        return date.fromisoformat(value[:10])
    except ValueError:
        raise ValueError(f"{name}={value!r} is not a YYYY-MM-DD date") from None


def _y_or_n(name: str, value: str) -> bool:
    if value == "Y":
        return True
    if value == "N":
        return False
    raise ValueError(f"{name}={value!r} is not Y or N")

"""MFI list file -> Parquet. Pure and streaming.

Despite ``.csv`` the file is UTF-16LE with a BOM, TAB-separated, CRLF-terminated, with no quoting
at all: names contain literal double quotes, so quoting must be off. Fields are trimmed (trailing
spaces, leading NBSP) and empty fields become null.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from prebuilt_assets.sources.ecb.schema import SPEC
from prebuilt_assets.tabular import (
    TEXT_BLOCK_BYTES,
    WHOLE_FILE_BYTES,
    Output,
    ParseReport,
    RowProgress,
    map_columns,
    stream_delimited,
)

PARSE_OPTIONS = pcsv.ParseOptions(
    delimiter="\t", quote_char=False, double_quote=False, escape_char=False, newlines_in_values=False
)


def detect_encoding(head: bytes) -> str:
    """UTF-16 by BOM (as published), UTF-8 by BOM, UTF-16LE when NULs interleave ASCII, else UTF-8."""
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "utf-16"
    if head[:3] == b"\xef\xbb\xbf":
        return "utf-8"
    if len(head) >= 4 and head[1:2] == b"\x00" and head[3:4] == b"\x00":
        return "utf-16-le"
    return "utf-8"


# Typed scalars: a Python value makes pyarrow cast, and its first cast costs ~20 ms.
_EMPTY = pa.scalar("", pa.string())
_NULL = pa.scalar(None, pa.string())


def trim_and_null(table: pa.Table) -> pa.Table:
    """Trim Unicode whitespace (NBSP included) from every text field; empty becomes null."""
    return map_columns(_trim_and_null_column, table)


def _trim_and_null_column(column: pa.ChunkedArray) -> pa.ChunkedArray:
    if not pa.types.is_string(column.type):
        return column
    column = pc.utf8_trim_whitespace(column)
    # Empty fields are already null (the reader's null_values): only blank ones are empty now.
    blank = pc.equal(column, _EMPTY)
    if pc.any(blank).as_py():
        column = pc.if_else(blank, _NULL, column)
    return column


def parse_mfi(
    path: Path,
    out: Output,
    *,
    gzip: bool,
    url: str,
    progress: RowProgress | None = None,
    block_size: int = TEXT_BLOCK_BYTES,
    whole_file_bytes: int = WHOLE_FILE_BYTES,
) -> ParseReport:
    """Write the list at ``path`` (gzip or plain) to ``out`` as Parquet with ``SPEC``'s schema."""

    def open_stream() -> pa.NativeFile:
        return pa.input_stream(str(path), compression="gzip" if gzip else None)

    with open_stream() as stream:
        encoding = detect_encoding(stream.read(64))
    report = stream_delimited(
        open_stream,
        spec=SPEC,
        url=url,
        out=out,
        encoding=encoding,
        parse_options=PARSE_OPTIONS,
        transform=trim_and_null,
        progress=progress,
        block_size=block_size,
        whole_file_bytes=whole_file_bytes,
    )
    report.notes["encoding"] = encoding
    return report

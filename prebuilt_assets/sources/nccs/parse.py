"""NCCS Core CSV -> Parquet. Pure and streaming.

The files are written by R ``data.table::fwrite``: comma, ``\\n``, quotes only where needed, NA as an
empty field. They are UTF-8, except some older years that are not valid UTF-8: those are read as
Latin-1 (every byte is a Latin-1 character, so this never fails; it is reported in the manifest).
"""

from __future__ import annotations

import codecs
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pcsv

from prebuilt_assets.sources.nccs.schema import SPEC
from prebuilt_assets.tabular import (
    TEXT_BLOCK_BYTES,
    WHOLE_FILE_BYTES,
    Output,
    ParseReport,
    RowProgress,
    stream_delimited,
)

PARSE_OPTIONS = pcsv.ParseOptions(delimiter=",", quote_char='"', double_quote=True, newlines_in_values=False)


def detect_encoding(path: Path, chunk: int = 16 << 20) -> str:
    """``utf-8`` when the whole file decodes as UTF-8, else ``latin-1``. One streaming read."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with open(path, "rb") as f:
            while block := f.read(chunk):
                decoder.decode(block)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "latin-1"
    return "utf-8"


def parse_core(
    path: Path,
    out: Output,
    *,
    url: str,
    encoding: str | None = None,
    progress: RowProgress | None = None,
    block_size: int = TEXT_BLOCK_BYTES,
    whole_file_bytes: int = WHOLE_FILE_BYTES,
) -> ParseReport:
    """Write the CSV at ``path`` to ``out`` as Parquet with ``SPEC``'s schema."""
    encoding = encoding or detect_encoding(path)
    report = stream_delimited(
        lambda: pa.input_stream(str(path)),
        spec=SPEC,
        url=url,
        out=out,
        encoding=encoding,
        parse_options=PARSE_OPTIONS,
        progress=progress,
        block_size=block_size,
        whole_file_bytes=whole_file_bytes,
    )
    report.notes["encoding"] = encoding
    return report

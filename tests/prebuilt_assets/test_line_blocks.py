from __future__ import annotations

import threading

import pyarrow as pa
import pytest

from prebuilt_assets import line_blocks
from prebuilt_assets.line_blocks import prefetch, utf8_line_blocks


@pytest.fixture(autouse=True)
def tiny_reads(monkeypatch):
    """Read 7 bytes at a time, so that pieces split lines, CRLFs and UTF-16 code units."""
    monkeypatch.setattr(line_blocks, "READ_BYTES", 7)


def blocks(data: bytes, encoding: str, block_size: int) -> list[bytes]:
    return [b.to_pybytes() for b in utf8_line_blocks(pa.BufferReader(data), encoding, block_size)]


TEXT = 'A\tB\r\nÅ\u00a0x\t"q"\r\n\U0001f600\tz\r\nlast\tline\r\n'


@pytest.mark.parametrize("block_size", [1, 5, 16, 1 << 20])
@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-8", "latin-1"])
def test_blocks_are_the_lines_after_the_header_in_utf8_cut_at_line_ends(encoding, block_size):
    text = TEXT if encoding.startswith("utf") else TEXT.replace("\U0001f600", "e")
    data = ("\ufeff" + text).encode(encoding) if encoding == "utf-16-le" else text.encode(encoding)
    got = blocks(data, encoding, block_size)
    body = text.split("\r\n", 1)[1].encode("utf-8")
    assert b"".join(got) == body
    assert all(b.endswith(b"\n") for b in got)
    if block_size == 1 << 20:
        assert len(got) == 1


def test_a_last_line_without_newline_is_kept():
    assert blocks(b"h\n1\n2", "utf-8", 1) == [b"1\n2"]
    assert blocks(b"h\n1\n22222222\n3", "utf-8", 1) == [b"1\n22222222\n", b"3"]
    assert blocks(b"h\n1\n  ", "utf-8", 1 << 20) == [b"1\n  "], "the reader decides what a blank line is"


def test_header_only_or_empty_input_yields_nothing():
    assert blocks(b"h1,h2\n", "utf-8", 1) == []
    assert blocks(b"h1,h2", "utf-8", 1) == []
    assert blocks(b"", "utf-16", 1) == []


def test_undecodable_input_raises():
    with pytest.raises(UnicodeDecodeError):
        blocks("h\nx\n".encode("utf-16-le") + b"\x00\xd8", "utf-16-le", 1 << 20)  # lone surrogate


def test_prefetch_yields_in_order_and_reraises_the_producers_error():
    def produce():
        yield from range(5)
        raise ValueError("broken upstream")

    got = []
    with pytest.raises(ValueError, match="broken upstream"):
        for item in prefetch(produce):
            got.append(item)
    assert got == [0, 1, 2, 3, 4]


def test_closing_prefetch_early_stops_the_thread_and_closes_the_producer():
    closed = threading.Event()

    def produce():
        try:
            yield from range(1_000_000)
        finally:
            closed.set()

    items = prefetch(produce, name="test-prefetch")
    assert next(items) == 0
    items.close()
    assert closed.is_set()
    assert not any(t.name == "test-prefetch" for t in threading.enumerate())

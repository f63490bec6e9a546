"""Delimited text as UTF-8 blocks cut at line ends, read ahead on a background thread.

``pyarrow.csv.open_csv`` with a non-UTF-8 ``encoding`` transcodes through a Python callback on its
I/O thread and reads up to 32 blocks ahead of the consumer, so its memory follows the file up to
32 x ``block_size``. Cutting the text ourselves keeps both under our control: one block being
read, one queued, one being parsed.
"""

from __future__ import annotations

import codecs
import queue
import threading
from collections.abc import Callable, Generator, Iterator
from typing import Any, TypeVar

import pyarrow as pa

T = TypeVar("T")

# One read (and transcode) step. Short, because transcoding holds the GIL: the parsing thread
# waits at most one step whenever it needs the GIL back.
READ_BYTES = 1 << 20


def utf8_line_blocks(stream: pa.NativeFile, encoding: str, block_size: int) -> Iterator[pa.Buffer]:
    """The lines after the header line, as UTF-8, in blocks of about ``block_size`` bytes that end
    at a line end (``\\n``). Input in another encoding is transcoded strictly: undecodable bytes
    raise ``UnicodeDecodeError``. Values must not contain newlines."""
    pieces = _utf8_pieces(stream, encoding)
    rest = b""
    for piece in pieces:  # drop the header line: the caller reads it separately
        rest += piece
        if (cut := rest.find(b"\n")) >= 0:
            rest = rest[cut + 1 :]
            break
    else:
        return
    pending, size = [rest], len(rest)
    for piece in pieces:
        pending.append(piece)
        size += len(piece)
        if size >= block_size:
            data = b"".join(pending)
            # A newline byte never occurs inside a multi-byte UTF-8 sequence.
            cut = data.rfind(b"\n") + 1
            if cut:
                yield pa.py_buffer(data).slice(0, cut)
                data = data[cut:]
            pending, size = [data], len(data)
    if data := b"".join(pending):
        yield pa.py_buffer(data)  # the last line may lack its newline


def _utf8_pieces(stream: pa.NativeFile, encoding: str) -> Iterator[bytes]:
    codec = codecs.lookup(encoding)
    if codec.name == "utf-8":  # passed through; pyarrow validates UTF-8 in text columns
        while piece := stream.read(READ_BYTES):
            yield piece
        return
    decoder = codec.incrementaldecoder("strict")
    while True:
        raw = stream.read(READ_BYTES)
        yield decoder.decode(raw, final=not raw).encode("utf-8")
        if not raw:
            return


def prefetch(
    produce: Callable[[], Iterator[T]], *, depth: int = 1, name: str = "prefetch"
) -> Generator[T, None, None]:
    """The items of ``produce()``, computed on a background thread at most ``depth`` items ahead.

    An exception in ``produce`` is raised here. Close this generator (``contextlib.closing``) when
    stopping early: that stops and joins the thread, which closes ``produce()``'s generator.
    """
    channel: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(message: tuple[str, Any]) -> bool:
        while not stop.is_set():
            try:
                channel.put(message, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def run() -> None:
        items = produce()
        try:
            for item in items:
                if not put(("item", item)):
                    return
            put(("end", None))
        except BaseException as exc:
            put(("error", exc))
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    try:
        while True:
            kind, value = channel.get()
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value
            del value
    finally:
        stop.set()
        thread.join()

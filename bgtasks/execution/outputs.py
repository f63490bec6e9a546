"""Keep the files a task wrote to /bgtasks/output: a tar stream from the engine -> a run's directory.

The stream comes from ``docker cp`` semantics (``get_archive``), so it works against a remote engine
and after the container has stopped. Extraction is defensive: only regular files and directories,
no absolute paths, no ``..``, a cap on total bytes; every kept file gets its size and sha256.
"""

from __future__ import annotations

import hashlib
import io
import tarfile
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath

from bgtasks.errors import TooLarge


@dataclass(frozen=True)
class OutputFile:
    name: str  # path relative to /bgtasks/output, with '/' separators
    bytes: int
    sha256: str

    def to_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class CollectedOutputs:
    files: list[OutputFile]
    skipped: list[str]  # entries that were not regular files (links, devices), by name


class _ChunkReader(io.RawIOBase):
    """A read-only file object over an iterator of byte chunks, for streaming tarfile."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks: Iterator[bytes] = iter(chunks)
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def readinto(self, target) -> int:
        while not self._buffer:
            try:
                self._buffer = next(self._chunks)
            except StopIteration:
                return 0
        size = min(len(target), len(self._buffer))
        target[:size] = self._buffer[:size]
        self._buffer = self._buffer[size:]
        return size


def _relative_name(member_name: str) -> str | None:
    """Name inside the output directory, or None for the directory itself; refuses escapes."""
    parts = PurePosixPath(member_name).parts
    # The archive's top entry is the directory's own basename ("output/...").
    inner = parts[1:]
    if not inner:
        return None
    if any(part in ("..", "") for part in inner) or PurePosixPath(member_name).is_absolute():
        raise ValueError(f"refusing unsafe path in outputs archive: {member_name!r}")
    return "/".join(inner)


def extract_outputs(chunks: Iterable[bytes], destination: Path, max_bytes: int) -> CollectedOutputs:
    """Extract the tar stream of an output directory into ``destination``."""
    destination.mkdir(parents=True, exist_ok=True)
    files: list[OutputFile] = []
    skipped: list[str] = []
    total = 0
    with tarfile.open(fileobj=io.BufferedReader(_ChunkReader(chunks), 1 << 20), mode="r|") as archive:
        for member in archive:
            name = _relative_name(member.name)
            if name is None:
                continue
            target = destination / name
            if member.isdir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            if not member.isfile():
                skipped.append(name)
                continue
            total += member.size
            if total > max_bytes:
                raise TooLarge(f"output files exceed the limit of {max_bytes} bytes", field="outputs")
            target.parent.mkdir(parents=True, exist_ok=True)
            source = archive.extractfile(member)
            assert source is not None  # regular files always have content
            digest = hashlib.sha256()
            with target.open("wb") as sink:
                while block := source.read(1 << 20):
                    digest.update(block)
                    sink.write(block)
            files.append(OutputFile(name=name, bytes=member.size, sha256=digest.hexdigest()))
    files.sort(key=lambda item: item.name)
    return CollectedOutputs(files=files, skipped=sorted(skipped))


def empty_output_dir_archive() -> bytes:
    """A tar holding /bgtasks/output, world-writable with the sticky bit, to put into a new container."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, mode in (("bgtasks", 0o755), ("bgtasks/output", 0o1777)):
            info = tarfile.TarInfo(name)
            info.type = tarfile.DIRTYPE
            info.mode = mode
            archive.addfile(info)
    return buffer.getvalue()

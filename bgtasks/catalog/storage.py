"""The catalog's view of a filesystem: a local directory or any pyarrow / fsspec URI.

pyarrow.fs is used for everything. A URI pyarrow does not know (``memory://``, ``gcs://`` through
gcsfs, ...) is opened with fsspec and wrapped in ``pyarrow.fs.PyFileSystem``.

Two primitives carry the catalog's guarantees:

- ``write_atomic``: on a local filesystem, write a temporary sibling then ``rename(2)`` over the
  target, so a reader sees the old bytes or the new ones. On an object store a single PUT is already
  all-or-nothing, so the object is written directly.
- ``lock``: on a local filesystem an exclusive ``flock`` on a lock file, held across processes; on
  other filesystems a lock inside this process only (object stores have no lock primitive that both
  pyarrow and fsspec expose; see docs/prebuilt.md for what that means for concurrent publishes).
"""

from __future__ import annotations

import fcntl
import os
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.fs as pafs

from bgtasks.errors import EngineUnavailable, InvalidInput

_process_locks: dict[tuple[str, str], threading.Lock] = {}
_process_locks_guard = threading.Lock()


@dataclass(frozen=True)
class Storage:
    """A filesystem and the base path of the catalog on it."""

    fs: pafs.FileSystem
    base: str
    uri: str
    scheme: str

    @property
    def is_local(self) -> bool:
        return isinstance(self.fs, pafs.LocalFileSystem)

    @classmethod
    def from_uri(cls, uri: str) -> Storage:
        """Open a catalog root: ``/path``, ``file:///path``, ``s3://bucket/prefix``, ``memory://name``..."""
        if not uri:
            raise InvalidInput("the catalog root is empty", field="catalog_root")
        if "://" not in uri:
            return cls(pafs.LocalFileSystem(), os.path.abspath(uri), uri, "file")
        scheme = uri.split("://", 1)[0]
        try:
            fs, path = pafs.FileSystem.from_uri(uri)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            fs, path = _fsspec_filesystem(uri)
        return cls(fs, path.rstrip("/") or "/", uri, scheme)

    def path(self, *parts: str) -> str:
        return "/".join([self.base.rstrip("/"), *parts]) if self.base != "/" else "/" + "/".join(parts)

    def location(self, path: str) -> str:
        """What a user passes to pyarrow, fsspec, DuckDB or pandas to open ``path``."""
        if self.is_local:
            return path
        return f"{self.scheme}://{path}" if self.scheme == "memory" else f"{self.scheme}://{path.lstrip('/')}"

    def exists(self, path: str) -> bool:
        return self.fs.get_file_info(path).type != pafs.FileType.NotFound

    def read_bytes(self, path: str) -> bytes | None:
        """The whole object, or None when it does not exist."""
        try:
            with self.fs.open_input_stream(path) as stream:
                return stream.read()
        except FileNotFoundError:
            return None
        except OSError as exc:
            if not self.exists(path):
                return None
            raise EngineUnavailable(f"cannot read {self.location(path)}: {exc}") from exc

    def write_atomic(self, path: str, data: bytes) -> None:
        """Replace ``path`` with ``data`` so that no reader ever sees a partial object."""
        parent = path.rsplit("/", 1)[0]
        self.fs.create_dir(parent, recursive=True)
        if not self.is_local:
            with self.fs.open_output_stream(path) as out:
                out.write(data)
            return
        tmp = f"{path}.tmp-{uuid.uuid4().hex}"
        with open(tmp, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)

    def open_output(self, path: str) -> pa.NativeFile:
        self.fs.create_dir(path.rsplit("/", 1)[0], recursive=True)
        return self.fs.open_output_stream(path)

    def move(self, src: str, dst: str) -> None:
        self.fs.create_dir(dst.rsplit("/", 1)[0], recursive=True)
        self.fs.move(src, dst)

    def list_dirs(self, path: str) -> list[str]:
        """Names of the directories directly under ``path`` (empty when it does not exist)."""
        selector = pafs.FileSelector(path, allow_not_found=True, recursive=False)
        infos = self.fs.get_file_info(selector)
        return sorted(i.base_name for i in infos if i.type == pafs.FileType.Directory)

    def delete_dir(self, path: str) -> None:
        if self.exists(path):
            self.fs.delete_dir(path)

    @contextmanager
    def lock(self, path: str) -> Iterator[None]:
        """Hold an exclusive lock named by ``path`` (cross-process on local disks, in-process elsewhere)."""
        if self.is_local:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)
            return
        with _process_locks_guard:
            lock = _process_locks.setdefault((self.uri, path), threading.Lock())
        with lock:
            yield


def _fsspec_filesystem(uri: str) -> tuple[pafs.FileSystem, str]:
    import fsspec

    try:
        fs, path = fsspec.core.url_to_fs(uri)
    except (ImportError, ValueError) as exc:
        raise InvalidInput(
            f"cannot open catalog root {uri!r}: {exc} (install the fsspec driver for this scheme)",
            field="catalog_root",
        ) from exc
    return pafs.PyFileSystem(pafs.FSSpecHandler(fs)), path

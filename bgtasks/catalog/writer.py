"""A version being written: files go to a staging area, hashed as they stream through."""

from __future__ import annotations

import contextlib
import hashlib
import io
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from bgtasks.catalog.models import FileEntry, PublishResult, SourceInfo, Upstream
from bgtasks.errors import Conflict, InvalidInput

if TYPE_CHECKING:
    from bgtasks.catalog.catalog import Catalog


class FileWriter(io.RawIOBase):
    """A write-only stream onto the catalog's filesystem that counts and hashes every byte.

    Pass it wherever pyarrow takes a ``where`` (``pq.ParquetWriter``, ``pyarrow.csv.CSVWriter``) or
    write to it directly. Set ``rows`` before the ``open_file`` block ends.
    """

    def __init__(self, sink: pa.NativeFile) -> None:
        super().__init__()
        self._sink = sink
        self._sha = hashlib.sha256()
        self.bytes = 0
        self.rows = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        self._sha.update(view)
        self._sink.write(view)
        self.bytes += len(view)
        return len(view)

    @property
    def sha256(self) -> str:
        return self._sha.hexdigest()

    def close(self) -> None:
        if not self.closed:
            self._sink.close()
        super().close()


class Draft:
    """A version in progress. Commit it, or let the ``with`` block abort it on an exception."""

    def __init__(
        self,
        *,
        catalog: Catalog,
        source: SourceInfo,
        version: str,
        content_hash: str,
        upstream: tuple[Upstream, ...],
        fetched_at: str,
        run_id: str | None,
    ) -> None:
        self.catalog = catalog
        self.source = source
        self.version = version
        self.content_hash = content_hash
        self.upstream = upstream
        self.fetched_at = fetched_at
        self.run_id = run_id
        self._files: dict[str, FileEntry] = {}
        self._done = False

    def staged_path(self, relpath: str) -> str:
        return self.catalog.staging_path(self.source.name, self.version, relpath)

    @property
    def location(self) -> str:
        """Where the files will be once committed (the version's directory)."""
        storage = self.catalog.storage
        return storage.location(storage.path(self.source.name, "versions", self.version))

    @contextmanager
    def open_file(self, relpath: str) -> Iterator[FileWriter]:
        """Write one data file of this version. It is recorded when the block ends without error."""
        self._check_open()
        if not relpath or relpath.startswith("/") or ".." in relpath.split("/") or relpath == "manifest.json":
            raise InvalidInput(f"{relpath!r} is not a valid file name inside a version", field="path")
        if relpath in self._files:
            raise Conflict(f"{relpath!r} was already written in this version")
        writer = FileWriter(self.catalog.storage.open_output(self.staged_path(relpath)))
        try:
            yield writer
        finally:
            writer.close()
        self._files[relpath] = FileEntry(
            path=relpath, rows=writer.rows, bytes=writer.bytes, sha256=writer.sha256
        )

    def commit(self, schema: pa.Schema, extra: dict[str, Any] | None = None) -> PublishResult:
        """Make the version visible (and current, unless a newer one already is).

        Returns ``status="unchanged"`` and keeps the current version when its content hash equals ours.
        """
        self._check_open()
        if not self._files:
            raise InvalidInput("a version needs at least one file", field="files")
        try:
            return self.catalog.commit(self, list(self._files.values()), schema, extra or {})
        finally:
            self._done = True
            self._discard_staging()

    def abort(self) -> None:
        """Throw away everything written; nothing becomes visible."""
        if not self._done:
            self._done = True
            self._discard_staging()

    def __enter__(self) -> Draft:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is not None or not self._done:
            self.abort()

    def _check_open(self) -> None:
        if self._done:
            raise Conflict(f"version {self.version} of {self.source.name!r} was already committed or aborted")

    def _discard_staging(self) -> None:
        with contextlib.suppress(OSError):  # a sweep of the next publish removes it
            self.catalog.storage.delete_dir(self.staged_path(""))

"""Sources and Source Versions on a filesystem: list, read, and publish atomically.

Layout under the root (one directory per Source)::

    <name>/source.json                      name, description, format
    <name>/CURRENT                          the current version id (one line)
    <name>/versions/<version>/manifest.json written last: its presence commits the version
    <name>/versions/<version>/<files>       the data
    <name>/_staging/<version>/<files>       a publish in progress; never read

A publish writes its files under ``_staging``, moves them into ``versions/<version>/``, writes the
manifest, and only then moves ``CURRENT``. A run that dies at any point before the manifest leaves
nothing that a reader lists; one that dies between the manifest and ``CURRENT`` leaves a complete
version that is not current. ``CURRENT`` only moves forward (to a larger version id) and is changed
under the source's lock. See docs/prebuilt.md for the exact guarantees per filesystem.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa

from bgtasks.catalog.models import (
    FORMATS,
    FileEntry,
    FileInfo,
    Manifest,
    PublishResult,
    SourceInfo,
    Upstream,
    VersionInfo,
    new_version_id,
    validate_source_name,
    validate_version_id,
    version_time,
)
from bgtasks.catalog.storage import Storage
from bgtasks.catalog.writer import Draft
from bgtasks.errors import InvalidInput, NotFound

MANIFEST = "manifest.json"
STALE_AFTER = timedelta(days=1)


class Catalog:
    """The Source catalog at one root (a directory or a filesystem URI)."""

    def __init__(self, root: str | Storage) -> None:
        self.storage = root if isinstance(root, Storage) else Storage.from_uri(root)

    @classmethod
    def from_settings(cls) -> Catalog:
        """The catalog at ``BGTASKS_CATALOG_ROOT`` (default ``$DAGSTER_HOME/catalog``)."""
        from bgtasks.settings import get_settings

        return cls(get_settings().catalog_uri)

    @property
    def root(self) -> str:
        return self.storage.location(self.storage.base)

    # -- Sources ---------------------------------------------------------------------------------

    def ensure_source(self, name: str, description: str, format: str) -> SourceInfo:
        """Create the Source, or update its description; its format cannot change."""
        validate_source_name(name)
        if format not in FORMATS:
            raise InvalidInput(f"format must be one of {', '.join(FORMATS)}, not {format!r}", field="format")
        existing = self._read_source(name)
        if existing and existing.format != format:
            raise InvalidInput(
                f"source {name!r} holds {existing.format}; it cannot become {format}", field="format"
            )
        info = SourceInfo(name=name, description=description, format=format)
        if existing is None or existing.description != description:
            self.storage.write_atomic(self._p(name, "source.json"), _dumps(info.to_json()))
        return self.get_source(name)

    def get_source(self, name: str) -> SourceInfo:
        validate_source_name(name)
        info = self._read_source(name)
        if info is None:
            raise NotFound(f"no source named {name!r} in the catalog at {self.root}")
        versions = self._committed_version_ids(name)
        return SourceInfo(
            name=info.name,
            description=info.description,
            format=info.format,
            current_version=self._read_current(name),
            version_count=len(versions),
        )

    def list_sources(self) -> list[SourceInfo]:
        """Every Source, by name."""
        names = [n for n in self.storage.list_dirs(self.storage.base) if _is_name(n)]
        return [self.get_source(n) for n in names if self._read_source(n) is not None]

    # -- Versions --------------------------------------------------------------------------------

    def list_versions(self, name: str) -> list[VersionInfo]:
        """Committed versions, oldest first. Versions still being written are not listed."""
        self.get_source(name)
        current = self._read_current(name)
        return [
            VersionInfo(manifest=self._read_manifest(name, v), current=v == current)
            for v in self._committed_version_ids(name)
        ]

    def get_version(self, name: str, version: str | None = None) -> Manifest:
        """The manifest of ``version``, or of the current version when ``version`` is None."""
        self.get_source(name)
        if version is None:
            version = self._read_current(name)
            if version is None:
                raise NotFound(f"source {name!r} has no current version yet")
        validate_version_id(version)
        if not self.storage.exists(self._p(name, "versions", version, MANIFEST)):
            raise NotFound(f"source {name!r} has no version {version!r}")
        return self._read_manifest(name, version)

    def find_current(self, name: str) -> Manifest | None:
        """The current manifest, or None when the Source does not exist or has no version yet."""
        validate_source_name(name)
        version = self._read_current(name)
        return self._read_manifest(name, version) if version else None

    def previous_version(self, name: str, version: str) -> Manifest | None:
        """The committed version just before ``version``, if any."""
        earlier = [v for v in self._committed_version_ids(name) if v < version]
        return self._read_manifest(name, earlier[-1]) if earlier else None

    def list_files(self, name: str, version: str | None = None) -> list[FileInfo]:
        """The data files of a version (the current one by default), with locations to open them."""
        manifest = self.get_version(name, version)
        return [
            FileInfo(
                path=f.path,
                location=self.storage.location(self.file_path(name, manifest.version, f.path)),
                rows=f.rows,
                bytes=f.bytes,
                sha256=f.sha256,
            )
            for f in manifest.files
        ]

    def file_path(self, name: str, version: str, relpath: str) -> str:
        """Path of a version's file on ``self.storage.fs`` (for pyarrow ``filesystem=`` readers)."""
        return self._p(name, "versions", version, relpath)

    # -- Publishing ------------------------------------------------------------------------------

    def start_publish(
        self,
        name: str,
        *,
        content_hash: str,
        upstream: Iterable[Upstream] = (),
        fetched_at: datetime | None = None,
        run_id: str | None = None,
    ) -> Draft:
        """Begin a new version of an existing Source. Use the Draft as a context manager:
        leaving it by an exception discards everything it wrote."""
        source = self.get_source(name)
        self.sweep(name)
        return Draft(
            catalog=self,
            source=source,
            version=new_version_id(),
            content_hash=content_hash,
            upstream=tuple(upstream),
            fetched_at=(fetched_at or datetime.now(UTC)).isoformat(),
            run_id=run_id,
        )

    def commit(
        self, draft: Draft, files: list[FileEntry], schema: pa.Schema, extra: dict[str, Any]
    ) -> PublishResult:
        """Called by ``Draft.commit``: move files in, write the manifest, then move CURRENT forward."""
        name, version = draft.source.name, draft.version
        with self.storage.lock(self._p(name, ".lock")):
            previous = self._read_current(name)
            current_manifest = self._read_manifest(name, previous) if previous else None
            if current_manifest is not None and current_manifest.content_hash == draft.content_hash:
                return PublishResult("unchanged", name, previous or "", True, current_manifest, previous)
            for f in files:
                self.storage.move(draft.staged_path(f.path), self.file_path(name, version, f.path))
            manifest = Manifest(
                source=name,
                version=version,
                format=draft.source.format,
                files=tuple(files),
                rows=sum(f.rows for f in files),
                bytes=sum(f.bytes for f in files),
                content_hash=draft.content_hash,
                schema=tuple(schema_to_json(schema)),
                upstream=draft.upstream,
                fetched_at=draft.fetched_at,
                run_id=draft.run_id,
                published_at=datetime.now(UTC).isoformat(),
                extra=extra,
            )
            self.storage.write_atomic(
                self._p(name, "versions", version, MANIFEST), _dumps(manifest.to_json())
            )
            becomes_current = previous is None or version > previous
            if becomes_current:
                self.storage.write_atomic(self._p(name, "CURRENT"), f"{version}\n".encode())
        return PublishResult("published", name, version, becomes_current, manifest, previous)

    def staging_path(self, name: str, version: str, relpath: str = "") -> str:
        parts = ["_staging", version, relpath] if relpath else ["_staging", version]
        return self._p(name, *parts)

    def sweep(self, name: str, older_than: timedelta = STALE_AFTER) -> list[str]:
        """Delete what dead publishes left: staging areas and uncommitted version directories older
        than ``older_than`` (their age is read from the version id, so this works on object stores)."""
        cutoff = datetime.now(UTC) - older_than
        removed = []
        for area in ("_staging", "versions"):
            for v in self.storage.list_dirs(self._p(name, area)):
                if not _is_version(v) or version_time(v) >= cutoff:
                    continue
                if area == "versions" and self.storage.exists(self._p(name, area, v, MANIFEST)):
                    continue
                self.storage.delete_dir(self._p(name, area, v))
                removed.append(f"{area}/{v}")
        return removed

    # -- internals -------------------------------------------------------------------------------

    def _p(self, name: str, *parts: str) -> str:
        return self.storage.path(name, *parts)

    def _read_source(self, name: str) -> SourceInfo | None:
        raw = self.storage.read_bytes(self._p(name, "source.json"))
        if raw is None:
            return None
        data = json.loads(raw)
        return SourceInfo(name=data["name"], description=data["description"], format=data["format"])

    def _read_current(self, name: str) -> str | None:
        raw = self.storage.read_bytes(self._p(name, "CURRENT"))
        return validate_version_id(raw.decode().strip()) if raw else None

    def _read_manifest(self, name: str, version: str) -> Manifest:
        raw = self.storage.read_bytes(self._p(name, "versions", version, MANIFEST))
        if raw is None:
            raise NotFound(f"source {name!r} has no version {version!r}")
        return Manifest.from_json(json.loads(raw))

    def _committed_version_ids(self, name: str) -> list[str]:
        return [
            v
            for v in self.storage.list_dirs(self._p(name, "versions"))
            if _is_version(v) and self.storage.exists(self._p(name, "versions", v, MANIFEST))
        ]


def schema_to_json(schema: pa.Schema) -> list[dict[str, Any]]:
    """An Arrow schema as manifest entries: name, Arrow type text, nullability, description."""
    out = []
    for f in schema:
        entry: dict[str, Any] = {"name": f.name, "type": str(f.type), "nullable": f.nullable}
        if f.metadata and b"description" in f.metadata:
            entry["description"] = f.metadata[b"description"].decode()
        out.append(entry)
    return out


def _dumps(data: dict[str, Any]) -> bytes:
    return (json.dumps(data, indent=2, sort_keys=True) + "\n").encode()


def _is_name(name: str) -> bool:
    try:
        validate_source_name(name)
    except InvalidInput:
        return False
    return True


def _is_version(version: str) -> bool:
    try:
        validate_version_id(version)
    except InvalidInput:
        return False
    return True

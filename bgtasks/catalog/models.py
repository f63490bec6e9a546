"""What the catalog stores: Sources, their versions' manifests, and the files a version holds.

Everything here is plain data that round-trips through JSON; no filesystem access.
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from bgtasks.errors import InvalidInput

Format = Literal["parquet", "jsonl"]
FORMATS: tuple[str, ...] = ("parquet", "jsonl")
MANIFEST_VERSION = 1

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_VERSION = re.compile(r"^\d{8}T\d{12}Z-[0-9a-f]{6}$")


def validate_source_name(name: str) -> str:
    """Source names are lower-case identifiers: they become directory names and CLI arguments."""
    if not _NAME.match(name):
        raise InvalidInput(
            f"{name!r} is not a valid source name: use a-z, 0-9 and _, starting with a letter (max 63)",
            field="name",
        )
    return name


def validate_version_id(version: str) -> str:
    if not _VERSION.match(version):
        raise InvalidInput(
            f"{version!r} is not a version id (like 20261202T051244123456Z-1a2b3c)", field="version"
        )
    return version


_last_stamp = ""
_stamp_lock = threading.Lock()


def new_version_id(now: datetime | None = None) -> str:
    """A version id that sorts by creation time: UTC to the microsecond, then 6 random hex digits.

    Within one process ids are strictly increasing even when the clock does not move.
    """
    global _last_stamp
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    with _stamp_lock:
        stamp = moment.strftime("%Y%m%dT%H%M%S%fZ")
        if stamp <= _last_stamp:
            # Same microsecond (or the clock stepped back): one microsecond past the last id handed out.
            bumped = datetime.strptime(_last_stamp, "%Y%m%dT%H%M%S%fZ") + timedelta(microseconds=1)
            stamp = bumped.strftime("%Y%m%dT%H%M%S%fZ")
        _last_stamp = stamp
    return f"{stamp}-{os.urandom(3).hex()}"


def version_time(version: str) -> datetime:
    """When a version was started, read back from its id."""
    return datetime.strptime(version[:22], "%Y%m%dT%H%M%S%fZ").replace(tzinfo=UTC)


@dataclass(frozen=True)
class SourceInfo:
    """A named dataset with a description and a format; its versions live under it."""

    name: str
    description: str
    format: str
    current_version: str | None = None
    version_count: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "format": self.format}


@dataclass(frozen=True)
class Upstream:
    """One upstream object a version was built from, with the validators the server sent."""

    url: str
    etag: str | None = None
    last_modified: str | None = None
    bytes: int | None = None
    sha256: str | None = None


@dataclass(frozen=True)
class FileEntry:
    """One data file of a version. ``path`` is relative to the version's directory."""

    path: str
    rows: int
    bytes: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    """Everything known about one published version. Written last: its presence commits the version."""

    source: str
    version: str
    format: str
    files: tuple[FileEntry, ...]
    rows: int
    bytes: int
    content_hash: str
    schema: tuple[dict[str, Any], ...]
    upstream: tuple[Upstream, ...]
    fetched_at: str
    run_id: str | None
    published_at: str
    extra: dict[str, Any] = field(default_factory=dict)
    manifest_version: int = MANIFEST_VERSION

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["files"] = [asdict(f) for f in self.files]
        data["upstream"] = [asdict(u) for u in self.upstream]
        data["schema"] = list(self.schema)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Manifest:
        return cls(
            source=data["source"],
            version=data["version"],
            format=data["format"],
            files=tuple(FileEntry(**f) for f in data["files"]),
            rows=int(data["rows"]),
            bytes=int(data["bytes"]),
            content_hash=data["content_hash"],
            schema=tuple(data.get("schema", ())),
            upstream=tuple(Upstream(**u) for u in data.get("upstream", ())),
            fetched_at=data["fetched_at"],
            run_id=data.get("run_id"),
            published_at=data["published_at"],
            extra=dict(data.get("extra", {})),
            manifest_version=int(data.get("manifest_version", MANIFEST_VERSION)),
        )


@dataclass(frozen=True)
class VersionInfo:
    """A committed version as listed: its manifest and whether it is the current one."""

    manifest: Manifest
    current: bool

    @property
    def version(self) -> str:
        return self.manifest.version


@dataclass(frozen=True)
class FileInfo:
    """A file of a version with the location a reader opens (a path or URI on the catalog's filesystem)."""

    path: str
    location: str
    rows: int
    bytes: int
    sha256: str


@dataclass(frozen=True)
class PublishResult:
    """What a publish did. ``status`` is ``published`` or ``unchanged`` (same content hash as current).

    A published version that is not ``current`` lost a race to a newer one (see docs/prebuilt.md).
    """

    status: Literal["published", "unchanged"]
    source: str
    version: str
    current: bool
    manifest: Manifest
    previous_version: str | None

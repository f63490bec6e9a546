"""Images: registered by reference or uploaded as a ``docker save`` archive, recorded with their digest.

Tasks pin the digest, so re-tagging an image in the engine never changes a task silently.
"""

from __future__ import annotations

import builtins
import json
import tarfile
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path

import sqlalchemy as sa

from bgtasks.db.tables import images, tasks
from bgtasks.errors import Conflict, InvalidInput, NotFound, TooLarge
from bgtasks.execution.engine import DockerEngine, ImageInfo
from bgtasks.registry.clock import utcnow
from bgtasks.registry.models import Image

MAX_REFERENCE_LENGTH = 255


def _from_row(row: sa.Row) -> Image:
    return Image.model_validate(dict(row._mapping))


def check_save_archive(path: Path) -> list[str]:
    """Validate that ``path`` is a ``docker save`` archive; return the tags it declares.

    Checked before the engine sees it, so a wrong file gets a clear message instead of an engine error.
    """
    try:
        with tarfile.open(path, mode="r:*") as archive:
            member = archive.getmember("manifest.json")
            handle = archive.extractfile(member)
            manifest = json.load(handle) if handle else None
    except (tarfile.TarError, KeyError, json.JSONDecodeError, EOFError, OSError) as exc:
        # tarfile's ReadError for "r:*" lists every compression it tried, one per line: errors are one line.
        reason = "not a tar file" if isinstance(exc, tarfile.ReadError) else " ".join(str(exc).split())
        raise InvalidInput(
            f"not a docker save archive ({reason}); create one with 'docker save NAME:TAG -o image.tar'",
            field="archive",
        ) from exc
    if not isinstance(manifest, list) or not manifest:
        raise InvalidInput("docker save archive has an empty manifest.json", field="archive")
    tags = [tag for entry in manifest for tag in (entry.get("RepoTags") or [])]
    if not tags:
        raise InvalidInput(
            "the archive holds no tagged image: save it by name, 'docker save NAME:TAG'", field="archive"
        )
    return tags


class ImageService:
    def __init__(
        self, engine: sa.Engine, docker_engine: Callable[[], DockerEngine], uploads_dir: Path
    ) -> None:
        self._engine = engine
        self._docker = docker_engine
        self._uploads_dir = uploads_dir

    def list(self) -> builtins.list[Image]:
        with self._engine.connect() as connection:
            rows = connection.execute(sa.select(images).order_by(images.c.reference))
            return [_from_row(row) for row in rows]

    def get(self, reference: str) -> Image:
        with self._engine.connect() as connection:
            row = connection.execute(sa.select(images).where(images.c.reference == reference)).first()
        if row is None:
            raise NotFound(
                f"image {reference!r} is not registered: run 'bgtasks images register {reference}'",
                field="image",
            )
        return _from_row(row)

    def register(self, reference: str) -> Image:
        """Record an image the engine already has. Registering again re-reads its digest."""
        reference = reference.strip()
        if not reference or len(reference) > MAX_REFERENCE_LENGTH or any(c.isspace() for c in reference):
            raise InvalidInput(f"{reference!r} is not an image reference", field="image")
        info = self._docker().inspect_image(reference)
        return self._record(reference, info, origin="registered")

    def upload(self, chunks: Iterable[bytes], max_bytes: int) -> builtins.list[Image]:
        """Stream a ``docker save`` archive to disk (at most ``max_bytes``), load it, record its tags."""
        self._uploads_dir.mkdir(parents=True, exist_ok=True)
        path = self._uploads_dir / f"upload-{uuid.uuid4().hex}.tar"
        try:
            written = 0
            with path.open("wb") as sink:
                for chunk in chunks:
                    written += len(chunk)
                    if written > max_bytes:
                        raise TooLarge(
                            f"image archive is larger than the limit of {max_bytes} bytes", field="archive"
                        )
                    sink.write(chunk)
            if written == 0:
                raise InvalidInput("the image archive is empty", field="archive")
            tags = check_save_archive(path)
            loaded = self._docker().load_archive(path)
            by_tag = {tag: info for info in loaded for tag in info.tags}
            return [
                self._record(tag, by_tag.get(tag) or self._docker().inspect_image(tag), "uploaded")
                for tag in tags
            ]
        finally:
            path.unlink(missing_ok=True)

    def _record(self, reference: str, info: ImageInfo, origin: str) -> Image:
        now = utcnow()
        values = {"digest": info.digest, "size_bytes": info.size_bytes, "origin": origin, "updated_at": now}
        with self._engine.begin() as connection:
            existing = connection.execute(
                sa.select(images.c.id).where(images.c.reference == reference)
            ).first()
            if existing:
                connection.execute(images.update().where(images.c.id == existing.id).values(**values))
            else:
                connection.execute(images.insert().values(reference=reference, created_at=now, **values))
            row = connection.execute(sa.select(images).where(images.c.reference == reference)).one()
            return _from_row(row)

    def delete(self, reference: str) -> None:
        """Forget an image no task uses. The engine keeps it (other things may use it)."""
        image = self.get(reference)
        with self._engine.begin() as connection:
            users = (
                connection.execute(
                    sa.select(tasks.c.name).where(tasks.c.image_reference == reference).order_by(tasks.c.name)
                )
                .scalars()
                .all()
            )
            if users:
                raise Conflict(
                    f"image {reference!r} is used by task(s): {', '.join(users[:20])}", field="image"
                )
            connection.execute(images.delete().where(images.c.id == image.id))

"""The registry on both databases it supports: a SQLite file and a real PostgreSQL server."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from bgtasks.db.migrate import upgrade
from bgtasks.execution.engine import ImageInfo
from bgtasks.registry.images import ImageService
from bgtasks.registry.runs import RunRecords
from bgtasks.registry.tasks import TaskService
from bgtasks.registry.templates import TemplateService


class FakeDockerEngine:
    """Pure-unit stand-in: knows a few image references and their digests."""

    def __init__(self) -> None:
        self.images = {
            "img:1": ImageInfo(digest="sha256:" + "1" * 64, tags=["img:1"], size_bytes=100),
            "img:2": ImageInfo(digest="sha256:" + "2" * 64, tags=["img:2"], size_bytes=200),
        }

    def inspect_image(self, reference: str) -> ImageInfo:
        from bgtasks.errors import NotFound

        if reference not in self.images:
            raise NotFound(f"image {reference!r} not found in the Docker Engine", field="image")
        return self.images[reference]


class RecordingListener:
    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []
        self.fail = False

    def task_created(self, name: str) -> None:
        if self.fail:
            raise RuntimeError("storage is down")
        self.events.append(("created", name))

    def task_deleted(self, name: str) -> None:
        self.events.append(("deleted", name))


class Registry:
    def __init__(self, engine: sa.Engine, tmp_path) -> None:
        self.engine = engine
        self.docker = FakeDockerEngine()
        self.listener = RecordingListener()
        self.now = 1_796_000_000.0
        self.templates = TemplateService(engine)
        self.images = ImageService(engine, lambda: self.docker, tmp_path / "uploads")
        self.tasks = TaskService(engine, self.listener, clock=lambda: self.now)
        self.runs = RunRecords(engine)


@pytest.fixture(params=["sqlite", "postgres"])
def registry(request, tmp_path):
    if request.param == "sqlite":
        from bgtasks.db.engine import _create_engine

        engine = _create_engine(f"sqlite:///{tmp_path / 'bgtasks.db'}")
    else:
        engine = sa.create_engine(request.getfixturevalue("postgres_url"))
    upgrade(engine)
    registry = Registry(engine, tmp_path)
    registry.templates.seed_defaults()
    yield registry
    engine.dispose()

"""The composition root: builds the registry services on the configured database and engine.

The CLI, the server, the Dagster op and the sensors all get their services here, so every one of
them changes state through the same code.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING

import sqlalchemy as sa

from bgtasks.db.engine import dispose_engines, get_engine, registry_url
from bgtasks.db.migrate import upgrade
from bgtasks.execution.engine import DockerEngine
from bgtasks.identity.audit import AuditLog
from bgtasks.identity.idempotency import IdempotencyKeys
from bgtasks.identity.sessions import SessionService
from bgtasks.identity.tokens import TokenService
from bgtasks.identity.users import UserService
from bgtasks.registry.images import ImageService
from bgtasks.registry.runs import RunRecords
from bgtasks.registry.tasks import TaskListener, TaskService
from bgtasks.registry.templates import TemplateService
from bgtasks.settings import Settings, get_settings

if TYPE_CHECKING:
    from dagster import DagsterInstance


@dataclass
class Services:
    settings: Settings
    engine: sa.Engine
    listener: TaskListener | None = None

    @cached_property
    def docker(self) -> DockerEngine:
        return DockerEngine(self.settings.docker_host)

    @cached_property
    def templates(self) -> TemplateService:
        return TemplateService(self.engine)

    @cached_property
    def images(self) -> ImageService:
        return ImageService(self.engine, lambda: self.docker, self.settings.uploads_root)

    @cached_property
    def tasks(self) -> TaskService:
        return TaskService(self.engine, self.listener)

    @cached_property
    def runs(self) -> RunRecords:
        return RunRecords(self.engine)

    @cached_property
    def users(self) -> UserService:
        return UserService(self.engine)

    @cached_property
    def tokens(self) -> TokenService:
        return TokenService(self.engine, self.users)

    @cached_property
    def sessions(self) -> SessionService:
        return SessionService(self.engine, self.users, timedelta(hours=self.settings.session_hours))

    @cached_property
    def audit(self) -> AuditLog:
        return AuditLog(self.engine)

    @cached_property
    def idempotency(self) -> IdempotencyKeys:
        return IdempotencyKeys(self.engine)


_services: dict[int, Services] = {}
_lock = threading.Lock()
_migrated: set[str] = set()


def services_for(instance: DagsterInstance, settings: Settings | None = None) -> Services:
    """The services of this process for ``instance``: registry on its database, partitions in its storage."""
    from bgtasks.orchestration.partitions import DagsterTaskPartitions

    settings = settings or get_settings()
    with _lock:
        key = id(instance)
        services = _services.get(key)
        if services is None:
            url = registry_url(settings, instance)
            engine = get_engine(url)
            if url not in _migrated:
                upgrade(engine)
                _migrated.add(url)
            services = Services(settings=settings, engine=engine, listener=DagsterTaskPartitions(instance))
            _services[key] = services
        return services


def forget_services() -> None:
    """Drop cached services and engines: a forked run worker must open its own connections."""
    with _lock:
        _services.clear()
    dispose_engines()

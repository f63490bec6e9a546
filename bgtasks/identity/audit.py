"""The audit log: who did what, when, through which path, and whether it was allowed."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from bgtasks.db.tables import audit_log
from bgtasks.registry.clock import utcnow

log = logging.getLogger("bgtasks.audit")


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: str
    target: str
    outcome: str
    via: str
    detail: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "actor": self.actor,
            "action": self.action,
            "target": self.target,
            "outcome": self.outcome,
            "via": self.via,
            "detail": self.detail,
        }


class AuditLog:
    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    def record(
        self,
        actor: str,
        action: str,
        target: str,
        *,
        outcome: str = "ok",
        via: str = "api",
        detail: dict[str, Any] | None = None,
    ) -> None:
        values = {
            "at": utcnow(),
            "actor": actor[:255],
            "action": action[:64],
            "target": target[:255],
            "outcome": outcome,
            "via": via,
            "detail": detail or {},
        }
        with self._engine.begin() as connection:
            connection.execute(audit_log.insert().values(**values))
        log.info("%s %s %s %s via %s", actor, action, target, outcome, via)

    def list(
        self,
        *,
        limit: int = 100,
        before_id: int | None = None,
        actor: str | None = None,
        action: str | None = None,
        target: str | None = None,
    ) -> list[AuditEntry]:
        """Newest first; page with ``before_id`` (the smallest id of the previous page)."""
        query = sa.select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
        if before_id is not None:
            query = query.where(audit_log.c.id < before_id)
        if actor:
            query = query.where(audit_log.c.actor == actor)
        if action:
            query = query.where(audit_log.c.action == action)
        if target:
            query = query.where(audit_log.c.target == target)
        with self._engine.connect() as connection:
            return [AuditEntry(**dict(row._mapping)) for row in connection.execute(query)]

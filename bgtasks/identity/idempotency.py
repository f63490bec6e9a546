"""Idempotency keys of run launches: a retried request with the same key gets the same run."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import sqlalchemy as sa

from bgtasks.db.tables import idempotency_keys
from bgtasks.errors import Conflict, InvalidInput
from bgtasks.registry.clock import utcnow

MAX_KEY_LENGTH = 255


def request_hash(payload: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


class IdempotencyKeys:
    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    def claim(self, principal: str, key: str, payload: dict[str, Any], run_id: str) -> str | None:
        """Reserve ``key`` for ``run_id``. Returns None when reserved now, else the run it already
        names (same request). The same key with another request is a Conflict."""
        if not key or len(key) > MAX_KEY_LENGTH:
            raise InvalidInput(
                f"Idempotency-Key needs 1-{MAX_KEY_LENGTH} characters", field="Idempotency-Key"
            )
        digest = request_hash(payload)
        try:
            with self._engine.begin() as connection:
                connection.execute(
                    idempotency_keys.insert().values(
                        principal=principal, key=key, request_hash=digest, run_id=run_id, created_at=utcnow()
                    )
                )
            return None
        except sa.exc.IntegrityError:
            pass
        with self._engine.connect() as connection:
            row = connection.execute(
                sa.select(idempotency_keys).where(
                    idempotency_keys.c.principal == principal, idempotency_keys.c.key == key
                )
            ).one()
        if row.request_hash != digest:
            raise Conflict(
                "this Idempotency-Key was used for a different request: use a new key",
                field="Idempotency-Key",
            )
        return str(row.run_id)

    def release(self, principal: str, key: str) -> None:
        """Forget a key whose launch failed, so a retry may try again."""
        with self._engine.begin() as connection:
            connection.execute(
                idempotency_keys.delete().where(
                    idempotency_keys.c.principal == principal, idempotency_keys.c.key == key
                )
            )

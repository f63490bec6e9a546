"""Browser sessions: an opaque random id in an HttpOnly cookie, stored server-side as a hash.

Server-side sessions end at once on logout, when the user is disabled, or when they expire.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

import sqlalchemy as sa

from bgtasks.db.tables import sessions, users
from bgtasks.identity.tokens import token_hash
from bgtasks.identity.users import UserService
from bgtasks.permissions.policy import Principal
from bgtasks.registry.clock import utcnow


class SessionService:
    def __init__(self, engine: sa.Engine, users_service: UserService, lifetime: timedelta) -> None:
        self._engine = engine
        self._users = users_service
        self._lifetime = lifetime

    def create(self, user_name: str) -> str:
        """Start a session for an active user; returns the cookie value."""
        user = self._users.get(user_name)
        session_id = secrets.token_urlsafe(32)
        now = utcnow()
        with self._engine.begin() as connection:
            # Expired sessions are dropped here, so the table stays small without a cleaner.
            connection.execute(sessions.delete().where(sessions.c.expires_at <= now))
            connection.execute(
                sessions.insert().values(
                    token_hash=token_hash(session_id),
                    user_id=user.id,
                    created_at=now,
                    expires_at=now + self._lifetime,
                )
            )
        return session_id

    def resolve(self, session_id: str) -> Principal | None:
        with self._engine.connect() as connection:
            row = connection.execute(
                sa.select(sessions.c.expires_at, users.c.name, users.c.active)
                .join(users, users.c.id == sessions.c.user_id)
                .where(sessions.c.token_hash == token_hash(session_id))
            ).first()
        if row is None or not row.active or row.expires_at <= utcnow():
            return None
        return self._users.active_principal(row.name)

    def end(self, session_id: str) -> None:
        with self._engine.begin() as connection:
            connection.execute(sessions.delete().where(sessions.c.token_hash == token_hash(session_id)))

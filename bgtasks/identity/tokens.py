"""API tokens: random, shown once, stored as SHA-256, revocable, with an optional expiry.

A token reads ``bgt_<43 url-safe characters>`` (32 random bytes): the prefix makes a leaked token
easy to recognise (secret scanners, logs). Looking a token up by its hash needs no comparison of
secrets at all; the hash of a 256-bit random value cannot be inverted or guessed.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from bgtasks.db.tables import api_tokens, users
from bgtasks.errors import InvalidInput, NotFound
from bgtasks.identity.users import UserService
from bgtasks.permissions.policy import Principal
from bgtasks.registry.clock import utcnow

PREFIX = "bgt_"
# last_used_at is written at most this often per token: not a database write per request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class ApiToken:
    id: int
    user: str
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None

    def to_json(self) -> dict:
        def iso(value: datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "id": self.id,
            "user": self.user,
            "name": self.name,
            "prefix": self.prefix,
            "created_at": iso(self.created_at),
            "expires_at": iso(self.expires_at),
            "last_used_at": iso(self.last_used_at),
            "revoked_at": iso(self.revoked_at),
        }


def _select() -> sa.Select:
    return sa.select(api_tokens, users.c.name.label("user")).join(users, users.c.id == api_tokens.c.user_id)


def _from_row(row: sa.Row) -> ApiToken:
    return ApiToken(
        id=row.id,
        user=row.user,
        name=row.name,
        prefix=row.prefix,
        created_at=row.created_at,
        expires_at=row.expires_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )


class TokenService:
    def __init__(self, engine: sa.Engine, users_service: UserService) -> None:
        self._engine = engine
        self._users = users_service

    def create(self, user_name: str, name: str, expires_in_days: float | None = None) -> tuple[str, ApiToken]:
        """A new token for ``user_name``. Returns the token itself (shown once) and its record."""
        if not name or len(name) > 63:
            raise InvalidInput("a token needs a name of 1-63 characters", field="name")
        if expires_in_days is not None and expires_in_days <= 0:
            raise InvalidInput("expiry must be in the future", field="expires_in_days")
        user = self._users.get(user_name)
        if not user.active:
            raise InvalidInput(f"user {user_name!r} is disabled", field="user")
        token = PREFIX + secrets.token_urlsafe(32)
        now = utcnow()
        expires_at = now + timedelta(days=expires_in_days) if expires_in_days is not None else None
        with self._engine.begin() as connection:
            inserted = connection.execute(
                api_tokens.insert().values(
                    user_id=user.id,
                    name=name,
                    token_hash=token_hash(token),
                    prefix=token[: len(PREFIX) + 6],
                    created_at=now,
                    expires_at=expires_at,
                )
            ).inserted_primary_key
            assert inserted is not None
            row = connection.execute(_select().where(api_tokens.c.id == inserted[0])).one()
        return token, _from_row(row)

    def list(self, user_name: str) -> list[ApiToken]:
        user = self._users.get(user_name)
        with self._engine.connect() as connection:
            rows = connection.execute(
                _select().where(api_tokens.c.user_id == user.id).order_by(api_tokens.c.id)
            )
            return [_from_row(row) for row in rows]

    def revoke(self, user_name: str, token_id: int) -> ApiToken:
        user = self._users.get(user_name)
        with self._engine.begin() as connection:
            row = connection.execute(
                _select().where(api_tokens.c.id == token_id, api_tokens.c.user_id == user.id)
            ).first()
            if row is None:
                raise NotFound(f"user {user_name!r} has no token #{token_id}", field="token")
            if row.revoked_at is None:
                connection.execute(
                    api_tokens.update().where(api_tokens.c.id == token_id).values(revoked_at=utcnow())
                )
            return _from_row(connection.execute(_select().where(api_tokens.c.id == token_id)).one())

    def resolve(self, token: str) -> Principal | None:
        """The principal a token stands for, or None: unknown, revoked, expired, or its user disabled."""
        if not token.startswith(PREFIX):
            return None
        now = utcnow()
        with self._engine.connect() as connection:
            row = connection.execute(
                sa.select(api_tokens.c.id, api_tokens.c.expires_at, api_tokens.c.revoked_at)
                .add_columns(api_tokens.c.last_used_at, users.c.name, users.c.active)
                .join(users, users.c.id == api_tokens.c.user_id)
                .where(api_tokens.c.token_hash == token_hash(token))
            ).first()
        if row is None or row.revoked_at is not None or not row.active:
            return None
        if row.expires_at is not None and row.expires_at <= now:
            return None
        if row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION:
            with self._engine.begin() as connection:
                connection.execute(
                    api_tokens.update().where(api_tokens.c.id == row.id).values(last_used_at=now)
                )
        return self._users.active_principal(row.name)

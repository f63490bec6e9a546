"""Users and their roles."""

from __future__ import annotations

import builtins
import re
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from bgtasks.db.tables import api_tokens, sessions, user_roles, users
from bgtasks.errors import Conflict, InvalidInput, NotFound
from bgtasks.identity.passwords import check_password_strength, hash_password, verify_password
from bgtasks.permissions.policy import Principal, Role
from bgtasks.registry.clock import utcnow

# Lowercase, so a name reads the same everywhere; no ':' (reserved for "local:<os user>").
USER_NAME = re.compile(r"^[a-z][a-z0-9._-]{0,62}$")


@dataclass(frozen=True)
class User:
    id: int
    name: str
    roles: tuple[str, ...]
    active: bool
    has_password: bool
    created_at: datetime
    updated_at: datetime

    def principal(self) -> Principal:
        return Principal(self.name, frozenset(Role(r) for r in self.roles), kind="user", user_id=self.id)

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "roles": list(self.roles),
            "active": self.active,
            "has_password": self.has_password,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }


def check_user_name(name: str) -> str:
    if not USER_NAME.match(name or ""):
        raise InvalidInput(
            f"{name!r} is not a valid user name: 1-63 lowercase letters, digits, '.', '_' or '-', "
            "starting with a letter",
            field="name",
        )
    return name


def check_roles(roles: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    known = {role.value for role in Role}
    for role in roles:
        if role not in known:
            raise InvalidInput(f"unknown role {role!r}: use {', '.join(sorted(known))}", field="roles")
    return tuple(sorted(set(roles)))


def _password_hash(password: str) -> str:
    try:
        return hash_password(check_password_strength(password))
    except ValueError as exc:
        raise InvalidInput(str(exc), field="password") from exc


class UserService:
    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    def _load(self, connection: sa.Connection, where: sa.ColumnElement[bool]) -> User | None:
        row = connection.execute(sa.select(users).where(where)).first()
        if row is None:
            return None
        roles = connection.execute(
            sa.select(user_roles.c.role).where(user_roles.c.user_id == row.id).order_by(user_roles.c.role)
        ).scalars()
        return User(
            id=row.id,
            name=row.name,
            roles=tuple(roles),
            active=row.active,
            has_password=row.password_hash is not None,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    def find(self, name: str) -> User | None:
        with self._engine.connect() as connection:
            return self._load(connection, users.c.name == name)

    def get(self, name: str) -> User:
        user = self.find(name)
        if user is None:
            raise NotFound(f"user {name!r} does not exist", field="user")
        return user

    def list(self) -> list[User]:
        with self._engine.connect() as connection:
            ids = connection.execute(sa.select(users.c.id).order_by(users.c.name)).scalars().all()
            return [user for user_id in ids if (user := self._load(connection, users.c.id == user_id))]

    def create(
        self, name: str, roles: builtins.list[str] | tuple[str, ...] = (), password: str | None = None
    ) -> User:
        check_user_name(name)
        wanted = check_roles(roles)
        password_hash = _password_hash(password) if password is not None else None
        now = utcnow()
        with self._engine.begin() as connection:
            if connection.execute(sa.select(users.c.id).where(users.c.name == name)).first():
                raise Conflict(f"user {name!r} already exists", field="name")
            user_id = connection.execute(
                users.insert().values(
                    name=name, password_hash=password_hash, active=True, created_at=now, updated_at=now
                )
            ).inserted_primary_key
            assert user_id is not None
            user_id = user_id[0]
            for role in wanted:
                connection.execute(user_roles.insert().values(user_id=user_id, role=role))
            created = self._load(connection, users.c.id == user_id)
        assert created is not None
        return created

    def update(
        self,
        name: str,
        *,
        roles: builtins.list[str] | None = None,
        password: str | None = None,
        active: bool | None = None,
    ) -> User:
        """Change roles, password or active flag. Disabling also ends sessions and revokes tokens."""
        wanted = check_roles(roles) if roles is not None else None
        password_hash = _password_hash(password) if password is not None else None
        now = utcnow()
        with self._engine.begin() as connection:
            current = self._load(connection, users.c.name == name)
            if current is None:
                raise NotFound(f"user {name!r} does not exist", field="user")
            values: dict = {"updated_at": now}
            if password_hash is not None:
                values["password_hash"] = password_hash
            if active is not None:
                values["active"] = active
            connection.execute(users.update().where(users.c.id == current.id).values(**values))
            if wanted is not None:
                connection.execute(user_roles.delete().where(user_roles.c.user_id == current.id))
                for role in wanted:
                    connection.execute(user_roles.insert().values(user_id=current.id, role=role))
            if active is False:
                connection.execute(sessions.delete().where(sessions.c.user_id == current.id))
                connection.execute(
                    api_tokens.update()
                    .where(api_tokens.c.user_id == current.id, api_tokens.c.revoked_at.is_(None))
                    .values(revoked_at=now)
                )
            updated = self._load(connection, users.c.id == current.id)
        assert updated is not None
        return updated

    def authenticate(self, name: str, password: str) -> User | None:
        """The active user with this name and password, else None (same cost either way)."""
        with self._engine.connect() as connection:
            row = connection.execute(
                sa.select(users.c.id, users.c.password_hash, users.c.active).where(users.c.name == name)
            ).first()
        if not verify_password(password, row.password_hash if row else None) or row is None or not row.active:
            return None
        return self.find(name)

    def active_principal(self, name: str) -> Principal | None:
        """The principal of an active user, or None when no such active user exists."""
        user = self.find(name)
        return user.principal() if user is not None and user.active else None

    def has_active_admin(self) -> bool:
        with self._engine.connect() as connection:
            return (
                connection.execute(
                    sa.select(users.c.id)
                    .join(user_roles, user_roles.c.user_id == users.c.id)
                    .where(users.c.active.is_(True), user_roles.c.role == Role.ADMIN.value)
                    .limit(1)
                ).first()
                is not None
            )

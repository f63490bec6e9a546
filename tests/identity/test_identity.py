"""Users, tokens, sessions, audit and idempotency keys on both databases: SQLite and real PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from bgtasks.db.migrate import upgrade
from bgtasks.db.tables import api_tokens, sessions
from bgtasks.errors import Conflict, InvalidInput, NotFound
from bgtasks.identity.audit import AuditLog
from bgtasks.identity.idempotency import IdempotencyKeys
from bgtasks.identity.passwords import hash_password, verify_password
from bgtasks.identity.sessions import SessionService
from bgtasks.identity.tokens import PREFIX, TokenService, token_hash
from bgtasks.identity.users import UserService
from bgtasks.permissions.policy import Role


class Identity:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.users = UserService(engine)
        self.tokens = TokenService(engine, self.users)
        self.sessions = SessionService(engine, self.users, timedelta(hours=1))
        self.audit = AuditLog(engine)
        self.keys = IdempotencyKeys(engine)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def identity(request, tmp_path):
    if request.param == "sqlite":
        from bgtasks.db.engine import _create_engine

        engine = _create_engine(f"sqlite:///{tmp_path / 'bgtasks.db'}")
    else:
        engine = sa.create_engine(request.getfixturevalue("postgres_url"))
    upgrade(engine)
    yield Identity(engine)
    engine.dispose()


def test_passwords_are_salted_scrypt_and_verified_in_constant_time():
    first, second = hash_password("correct horse"), hash_password("correct horse")
    assert first != second and first.startswith("scrypt$")
    assert verify_password("correct horse", first)
    assert not verify_password("wrong horse", first)
    assert not verify_password("x", None)
    assert not verify_password("x", "md5$garbage")


def test_users_roles_and_password_login(identity):
    user = identity.users.create("ana", roles=["TASK_EDITOR"], password="s3cret-pass")
    assert user.roles == ("TASK_EDITOR",) and user.has_password
    assert user.principal().has(Role.TASK_EDITOR)
    assert identity.users.authenticate("ana", "s3cret-pass").name == "ana"
    assert identity.users.authenticate("ana", "wrong-pass") is None
    assert identity.users.authenticate("nobody", "s3cret-pass") is None
    with pytest.raises(Conflict):
        identity.users.create("ana")
    with pytest.raises(InvalidInput) as bad_role:
        identity.users.create("bo", roles=["ROOT"])
    assert bad_role.value.field == "roles"
    with pytest.raises(InvalidInput) as bad_name:
        identity.users.create("local:root")
    assert bad_name.value.field == "name"
    with pytest.raises(InvalidInput) as short:
        identity.users.create("cy", password="short")
    assert short.value.field == "password"
    assert [u.name for u in identity.users.list()] == ["ana"]
    assert not identity.users.has_active_admin()
    identity.users.update("ana", roles=["ADMIN"])
    assert identity.users.has_active_admin()
    assert identity.users.get("ana").principal().is_admin


def test_tokens_are_shown_once_stored_hashed_and_revocable(identity):
    identity.users.create("ana")
    token, record = identity.tokens.create("ana", "ci")
    assert token.startswith(PREFIX) and len(token) > 40
    assert record.prefix == token[: len(PREFIX) + 6]
    with identity.engine.connect() as connection:
        stored = connection.execute(sa.select(api_tokens.c.token_hash)).scalar_one()
    assert stored == token_hash(token) and token not in stored
    assert identity.tokens.resolve(token).name == "ana"
    assert identity.tokens.list("ana")[0].last_used_at is not None
    assert identity.tokens.resolve(token + "x") is None
    assert identity.tokens.resolve("not-a-token") is None
    identity.tokens.revoke("ana", record.id)
    assert identity.tokens.resolve(token) is None
    with pytest.raises(NotFound):
        identity.tokens.revoke("ana", 999)


def test_expired_tokens_and_tokens_of_disabled_users_do_not_resolve(identity):
    identity.users.create("ana")
    short, record = identity.tokens.create("ana", "short", expires_in_days=1)
    with identity.engine.begin() as connection:
        connection.execute(
            api_tokens.update()
            .where(api_tokens.c.id == record.id)
            .values(expires_at=record.created_at - timedelta(seconds=1))
        )
    assert identity.tokens.resolve(short) is None
    token, _ = identity.tokens.create("ana", "long")
    session = identity.sessions.create("ana")
    assert identity.tokens.resolve(token) is not None and identity.sessions.resolve(session) is not None
    identity.users.update("ana", active=False)
    assert identity.tokens.resolve(token) is None
    assert identity.sessions.resolve(session) is None
    assert all(t.revoked_at is not None for t in identity.tokens.list("ana"))
    assert identity.users.authenticate("ana", "whatever-pass") is None
    with pytest.raises(InvalidInput):
        identity.tokens.create("ana", "again")
    identity.users.create("bo")
    with pytest.raises(InvalidInput):
        identity.tokens.create("bo", "x", expires_in_days=0)


def test_sessions_are_opaque_hashed_and_end_on_logout_or_expiry(identity):
    identity.users.create("ana", roles=["TASK_EDITOR"])
    session = identity.sessions.create("ana")
    assert identity.sessions.resolve(session).roles == frozenset({Role.TASK_EDITOR})
    with identity.engine.connect() as connection:
        assert connection.execute(sa.select(sessions.c.token_hash)).scalar_one() == token_hash(session)
    identity.sessions.end(session)
    assert identity.sessions.resolve(session) is None
    expiring = identity.sessions.create("ana")
    with identity.engine.begin() as connection:
        connection.execute(sessions.update().values(expires_at=sessions.c.created_at))
    assert identity.sessions.resolve(expiring) is None


def test_audit_log_pages_newest_first_and_filters(identity):
    for index in range(5):
        identity.audit.record("ana", "task.create", f"task:t{index}", detail={"i": index})
    identity.audit.record("bo", "login", "user:bo", outcome="denied", via="ui")
    newest = identity.audit.list(limit=3)
    assert [entry.target for entry in newest] == ["user:bo", "task:t4", "task:t3"]
    older = identity.audit.list(limit=10, before_id=newest[-1].id)
    assert [entry.target for entry in older] == ["task:t2", "task:t1", "task:t0"]
    assert [e.outcome for e in identity.audit.list(actor="bo")] == ["denied"]
    assert len(identity.audit.list(action="task.create")) == 5
    assert identity.audit.list(target="task:t2")[0].detail == {"i": 2}


def test_idempotency_keys_return_the_first_run_and_refuse_other_requests(identity):
    assert identity.keys.claim("ana", "k1", {"env": {"A": "1"}}, "run-1") is None
    assert identity.keys.claim("ana", "k1", {"env": {"A": "1"}}, "run-2") == "run-1"
    assert identity.keys.claim("bo", "k1", {"env": {"A": "1"}}, "run-3") is None  # keys are per principal
    with pytest.raises(Conflict):
        identity.keys.claim("ana", "k1", {"env": {"A": "2"}}, "run-4")
    identity.keys.release("ana", "k1")
    assert identity.keys.claim("ana", "k1", {"env": {"A": "2"}}, "run-5") is None
    with pytest.raises(InvalidInput):
        identity.keys.claim("ana", "", {}, "run-6")

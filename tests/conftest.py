"""Shared fixtures: a fresh Dagster instance per test, the real Docker Engine, real PostgreSQL.

Nothing here skips: a missing service fails the test with the command that provides it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

PROJECT_ROOT = Path(__file__).resolve().parents[1]
POSTGRES_URL = os.environ.get(
    "BGTASKS_TEST_POSTGRES_URL", "postgresql+psycopg2://bgtasks:bgtasks@127.0.0.1:5432/bgtasks_test"
)
TEST_IMAGE = "bgtasks/test-tools:1"


def reset_process_state() -> None:
    """Forget every per-process cache that depends on the environment (settings, instance, engines)."""
    import bgtasks.orchestration.instance as instance_module
    from bgtasks.secret import forget_secret
    from bgtasks.services import forget_services
    from bgtasks.settings import get_settings

    get_settings.cache_clear()
    forget_secret()
    forget_services()
    instance_module._instance = None


def event_messages(instance, run_id: str) -> list[str]:
    """Every message of a run's event log, as the UI shows them (user logs and Dagster events)."""
    return [
        entry.user_message or (entry.dagster_event.message if entry.dagster_event else "") or ""
        for entry in instance.all_logs(run_id)
    ]


def write_instance_config(home: Path, postgres: bool = False) -> None:
    """dagster.yaml for a test instance: the project's own (SQLite), or deploy/postgres's."""
    source = PROJECT_ROOT / ("deploy/postgres/dagster.yaml" if postgres else "dagster.yaml")
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text(source.read_text())


@pytest.fixture
def dagster_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path / "home"
    write_instance_config(home)
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("BGTASKS_WORKER_SOCKET", str(tmp_path / "no-worker.sock"))
    reset_process_state()
    yield home
    reset_process_state()


@pytest.fixture
def instance(dagster_home: Path):
    from bgtasks.orchestration.instance import get_instance

    instance = get_instance()
    yield instance
    instance.dispose()


@pytest.fixture
def services(instance):
    from bgtasks.services import services_for

    services = services_for(instance)
    services.templates.seed_defaults()
    return services


# Docker


@pytest.fixture(scope="session")
def docker_engine():
    from bgtasks.errors import EngineUnavailable
    from bgtasks.execution.engine import DockerEngine

    engine = DockerEngine()
    try:
        engine.client  # noqa: B018  connects and pings
    except EngineUnavailable as exc:
        pytest.fail(f"{exc}\nStart it with scripts/setup.sh (make test does).")
    return engine


@pytest.fixture(scope="session")
def test_image(docker_engine) -> str:
    """The busybox-based image with memhog and busyloop that scripts/build_images.sh builds."""
    from bgtasks.errors import NotFound

    try:
        docker_engine.inspect_image(TEST_IMAGE)
    except NotFound:
        pytest.fail(f"image {TEST_IMAGE} is missing: build it with scripts/build_images.sh (make test does)")
    return TEST_IMAGE


# PostgreSQL


@pytest.fixture(scope="session")
def postgres_server_url() -> str:
    engine = sa.create_engine(POSTGRES_URL)
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL not reachable at {POSTGRES_URL}: start it with scripts/start_postgres.sh ({exc.orig})"
        )
    finally:
        engine.dispose()
    return POSTGRES_URL


@pytest.fixture
def postgres_url(postgres_server_url: str) -> Iterator[str]:
    """A brand-new database on the real server, dropped afterwards."""
    name = f"bgtasks_t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(postgres_server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(postgres_server_url).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        from bgtasks.db.engine import dispose_engines

        dispose_engines()
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

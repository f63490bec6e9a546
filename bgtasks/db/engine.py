"""Where the registry's database is, and the one SQLAlchemy engine per process that talks to it."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from bgtasks.errors import EngineUnavailable
from bgtasks.settings import Settings, get_settings

if TYPE_CHECKING:
    from dagster import DagsterInstance

_engines: dict[str, sa.Engine] = {}
_lock = threading.Lock()


def registry_url(settings: Settings, instance: DagsterInstance | None = None) -> str:
    """The registry's SQLAlchemy URL.

    An explicit ``BGTASKS_DATABASE_URL`` wins. Otherwise the registry shares Dagster's storage:
    the same PostgreSQL database when dagster.yaml uses dagster-postgres, else a SQLite file in
    $DAGSTER_HOME next to Dagster's own SQLite files.
    """
    if settings.database_url:
        return settings.database_url
    if instance is not None:
        postgres_url = getattr(instance.run_storage, "postgres_url", None)
        if postgres_url:
            return str(postgres_url)
        # Beside Dagster's own SQLite files, in the instance's directory.
        return f"sqlite:///{Path(instance.root_directory).resolve() / 'bgtasks.db'}"
    return f"sqlite:///{settings.home / 'bgtasks.db'}"


def _on_sqlite_connect(dbapi_connection, _record) -> None:
    # WAL lets the daemon's sensor read while a CLI or server write is under way; foreign keys
    # are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def get_engine(url: str | None = None) -> sa.Engine:
    """The process-wide engine for ``url`` (default: the configured registry URL)."""
    if url is None:
        url = registry_url(get_settings(), _current_instance_or_none())
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _create_engine(url)
            _engines[url] = engine
        return engine


def _create_engine(url: str) -> sa.Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": 30})
        sa.event.listen(engine, "connect", _on_sqlite_connect)
        return engine
    return sa.create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


def dispose_engines() -> None:
    """Forget every engine, e.g. in a forked child that must not reuse its parent's connections."""
    with _lock:
        for engine in _engines.values():
            engine.dispose(close=False)
        _engines.clear()


def check_reachable(engine: sa.Engine) -> None:
    """Raise a clear error when the registry database does not answer."""
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        raise EngineUnavailable(
            f"registry database not reachable at {engine.url.render_as_string(hide_password=True)}: {exc.orig}"
        ) from exc


def _current_instance_or_none() -> DagsterInstance | None:
    """Dagster's instance when dagster.yaml points at PostgreSQL, so the registry can share it."""
    settings = get_settings()
    config_file = settings.home / "dagster.yaml"
    if not config_file.exists() or "postgres" not in config_file.read_text():
        return None
    from bgtasks.orchestration.instance import get_instance

    return get_instance()

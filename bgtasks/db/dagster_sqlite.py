"""Dagster's SQLite storage, tuned for a single machine (the embedded default of dagster.yaml).

Two changes, both about disk syncs, which dominate a short run on SQLite (about 15 ms each on the
virtual disks measured here, and a run makes dozens):

- Every SQLite connection in the process uses ``synchronous=NORMAL``. Dagster's SQLite databases
  are all in WAL mode, where NORMAL never corrupts a database; a power cut may lose the last
  transactions. PostgreSQL (see deploy/postgres/dagster.yaml) is the choice when that matters.
- Each run's event log is a new SQLite file. Dagster creates its tables and indexes statement by
  statement (a sync each); we copy a file already initialised once per Dagster version instead.

Configured in dagster.yaml as ``storage: custom: {module: bgtasks.db.dagster_sqlite, class:
TunedSqliteStorage, config: {base_dir: {env: DAGSTER_HOME}}}``: where Dagster keeps its SQLite files.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import uuid
import zlib
from collections.abc import Mapping
from typing import Any, Self

import dagster
import sqlalchemy as sa
from dagster._core.storage.event_log.sqlite.sqlite_event_log import INDEX_SHARD_NAME, SqliteEventLogStorage
from dagster._core.storage.sqlite_storage import DagsterSqliteStorage, _event_logs_directory
from dagster._serdes import ConfigurableClassData

_tuned = False
# Stamped into each templated run database (PRAGMA user_version): a database carrying it was made
# from this Dagster version's template, so it needs no schema check on first use.
TEMPLATE_MARK = zlib.crc32(f"bgtasks-run-template-{dagster.__version__}".encode()) & 0x7FFFFFFF


def _relax_sync(dbapi_connection: Any, _record: Any) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.execute("PRAGMA synchronous=NORMAL")


def tune_sqlite_connections() -> None:
    """Set ``synchronous=NORMAL`` on every SQLite connection this process opens from now on."""
    global _tuned
    if not _tuned:
        sa.event.listen(sa.pool.Pool, "connect", _relax_sync)
        _tuned = True


class TemplatedSqliteEventLogStorage(SqliteEventLogStorage):
    """Creates each run's event log database by copying an initialised template."""

    def _template_path(self) -> str:
        return os.path.join(self._base_dir, f".run-template-{dagster.__version__}.db")

    def _ensure_template(self) -> str:
        template = self._template_path()
        if not os.path.exists(template):
            scratch = f"{template}.{uuid.uuid4().hex}.tmp"
            engine = sa.create_engine(f"sqlite:///{scratch}", poolclass=sa.pool.NullPool)
            super()._initdb(engine)
            engine.dispose()
            with sqlite3.connect(scratch) as connection:
                connection.execute(f"PRAGMA user_version={TEMPLATE_MARK}")
            connection.close()
            os.replace(scratch, template)  # atomic: other processes see no template or a whole one
        return template

    def _initdb(self, engine: sa.Engine, for_index_shard: bool = False) -> None:
        path = engine.url.database or ""
        is_run_shard = (
            bool(path) and os.path.basename(path) != f"{INDEX_SHARD_NAME}.db" and not for_index_shard
        )
        if is_run_shard and os.path.exists(path) and _has_template_mark(path):
            return  # made from this version's template by another process: already at head
        if is_run_shard and not os.path.exists(path):
            scratch = f"{path}.{uuid.uuid4().hex}.tmp"
            shutil.copyfile(self._ensure_template(), scratch)
            try:
                os.link(scratch, path)  # never replaces a database another process just created
            except FileExistsError:
                pass
            finally:
                os.unlink(scratch)
            return
        super()._initdb(engine, for_index_shard=for_index_shard)


def _has_template_mark(path: str) -> bool:
    connection = sqlite3.connect(path, timeout=30)
    try:
        return connection.execute("PRAGMA user_version").fetchone()[0] == TEMPLATE_MARK
    finally:
        connection.close()


class TunedSqliteStorage(DagsterSqliteStorage):
    """DagsterSqliteStorage with relaxed syncs and templated run databases (see module docstring)."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None) -> None:
        tune_sqlite_connections()
        super().__init__(base_dir, inst_data=inst_data)
        self._event_log_storage = TemplatedSqliteEventLogStorage(_event_logs_directory(base_dir))

    @classmethod
    def config_type(cls) -> dict:
        return {"base_dir": dagster.Field(dagster.StringSource, is_required=False)}

    @classmethod
    def from_config_value(
        cls, inst_data: ConfigurableClassData | None, config_value: Mapping[str, Any]
    ) -> Self:
        from bgtasks.settings import get_settings

        base_dir = config_value.get("base_dir") or str(get_settings().home)
        os.makedirs(base_dir, exist_ok=True)
        return cls(base_dir, inst_data=inst_data)

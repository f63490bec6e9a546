"""Dagster's instance, once per process."""

from __future__ import annotations

import threading

from dagster import DagsterInstance

_instance: DagsterInstance | None = None
_lock = threading.Lock()


def get_instance() -> DagsterInstance:
    """The instance configured by $DAGSTER_HOME/dagster.yaml."""
    global _instance
    with _lock:
        if _instance is None:
            _instance = DagsterInstance.get()
        return _instance

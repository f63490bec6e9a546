"""What every CLI command needs: the instance and the services, created on first use."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bgtasks.errors import EngineUnavailable

if TYPE_CHECKING:
    from dagster import DagsterInstance

    from bgtasks.services import Services


def instance() -> DagsterInstance:
    import os

    from bgtasks.orchestration.instance import get_instance
    from bgtasks.settings import get_settings

    home = get_settings().home
    # Dagster and every process we start (daemon, code servers, run workers) read DAGSTER_HOME.
    os.environ["DAGSTER_HOME"] = str(home)
    if not (home / "dagster.yaml").exists():
        raise EngineUnavailable(
            f"no dagster.yaml in DAGSTER_HOME={home}: set DAGSTER_HOME to your bgtasks instance "
            "directory, or run 'make run' once in the project"
        )
    return get_instance()


def services() -> Services:
    from bgtasks.services import services_for

    return services_for(instance())

"""The prebuilt public-data tasks, listed beside user tasks and run like them.

They are defined in the ``prebuilt_assets`` package (one Dagster job per source, in its own code
location); this module only reads their plain-data list, which imports nothing heavy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bgtasks.errors import NotFound

if TYPE_CHECKING:
    from prebuilt_assets.catalog_tasks import PrebuiltTask

PREFIX = "prebuilt."


def list_prebuilt() -> list[PrebuiltTask]:
    from prebuilt_assets.catalog_tasks import PREBUILT_TASKS

    return sorted(PREBUILT_TASKS, key=lambda task: task.name)


def is_prebuilt(name: str) -> bool:
    return name.startswith(PREFIX)


def get_prebuilt(name: str) -> PrebuiltTask:
    for task in list_prebuilt():
        if task.name == name:
            return task
    raise NotFound(f"prebuilt task {name!r} does not exist", field="task")

"""Each task is a dynamic partition of the one shared job, keyed by the task's name.

Adding a partition is a single row in Dagster's storage: a new task is visible and launchable in
the UI at once, without reloading any code location, at any number of tasks.
"""

from __future__ import annotations

from collections.abc import Iterable

from dagster import DagsterInstance, DynamicPartitionsDefinition

PARTITIONS_NAME = "tasks"
TASKS_PARTITIONS = DynamicPartitionsDefinition(name=PARTITIONS_NAME)


class DagsterTaskPartitions:
    """Keeps the "tasks" dynamic partitions in step with the registry."""

    def __init__(self, instance: DagsterInstance) -> None:
        self._instance = instance

    def task_created(self, name: str) -> None:
        self._instance.add_dynamic_partitions(PARTITIONS_NAME, [name])

    def task_deleted(self, name: str) -> None:
        if self._instance.has_dynamic_partition(PARTITIONS_NAME, name):
            self._instance.delete_dynamic_partition(PARTITIONS_NAME, name)

    def sync(self, names: Iterable[str]) -> tuple[list[str], list[str]]:
        """Make the partitions exactly ``names``; return (added, removed)."""
        wanted = set(names)
        present = set(self._instance.get_dynamic_partitions(PARTITIONS_NAME))
        added = sorted(wanted - present)
        removed = sorted(present - wanted)
        if added:
            self._instance.add_dynamic_partitions(PARTITIONS_NAME, added)
        for name in removed:
            self._instance.delete_dynamic_partition(PARTITIONS_NAME, name)
        return added, removed

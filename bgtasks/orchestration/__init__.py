"""Dagster definitions built around the registry: one shared job, its dynamic partitions (one per
task), the schedule dispatcher and trigger sensors, the run coordinator and the warm run launcher."""

"""The ``bgtasks`` code location: merges the definitions; nothing else."""

from dagster import Definitions

from bgtasks.orchestration.job import background_task_job
from bgtasks.orchestration.sensors import task_schedules_sensor, task_triggers_sensor

defs = Definitions(
    jobs=[background_task_job],
    sensors=[task_schedules_sensor, task_triggers_sensor],
)

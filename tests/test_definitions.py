"""Tier 1: the code locations load and hold what the UI and daemon need."""

from dagster import DynamicPartitionsDefinition

from bgtasks.orchestration.definitions import defs


def test_bgtasks_location_loads_one_partitioned_job_and_two_sensors():
    job = defs.get_job_def("background_task")
    assert isinstance(job.partitions_def, DynamicPartitionsDefinition)
    assert job.partitions_def.name == "tasks"
    sensor_names = {sensor.name for sensor in defs.sensors}
    assert sensor_names == {"task_schedules", "task_triggers"}
    defs.get_repository_def().load_all_definitions()

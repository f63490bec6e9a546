from prebuilt_assets.jobs import task_job, task_schedule
from prebuilt_assets.sources.fdic.assets import INSTITUTIONS_TASK, LOCATIONS_TASK

JOBS = [task_job(INSTITUTIONS_TASK), task_job(LOCATIONS_TASK)]
SCHEDULES = [
    task_schedule(task, job) for task, job in zip((INSTITUTIONS_TASK, LOCATIONS_TASK), JOBS, strict=True)
]

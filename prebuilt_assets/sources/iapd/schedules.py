from prebuilt_assets.jobs import task_job, task_schedule
from prebuilt_assets.sources.iapd.assets import TASKS

JOBS = [task_job(task) for task in TASKS]
SCHEDULES = [task_schedule(task, job) for task, job in zip(TASKS, JOBS, strict=True)]

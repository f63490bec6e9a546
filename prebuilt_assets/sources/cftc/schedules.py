from prebuilt_assets.jobs import task_job, task_schedule
from prebuilt_assets.sources.cftc.assets import TASK

JOB = task_job(TASK)
SCHEDULE = task_schedule(TASK, JOB)

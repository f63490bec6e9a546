from __future__ import annotations

from prebuilt_assets.jobs import task_job, task_schedule
from prebuilt_assets.sources.ecb.assets import TASK

JOB = task_job(TASK)
SCHEDULE = task_schedule(TASK, JOB)

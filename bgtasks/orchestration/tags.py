"""Run tags bgtasks sets. Tags are what the Dagster UI filters runs by."""

JOB_NAME = "background_task"
PARTITION_TAG = "dagster/partition"
TASK_TAG = "bgtasks/task"
REVISION_TAG = "bgtasks/task_revision"
TEMPLATE_TAG = "bgtasks/template"
IMAGE_TAG = "bgtasks/image"
TRIGGER_TAG = "bgtasks/trigger"  # "manual", "schedule" or "after:<task>"
EXIT_CODE_TAG = "bgtasks/exit_code"
LAUNCHER_TAG = "bgtasks/launcher"  # "warm" or "spawn"
PID_TAG = "bgtasks/pid"
# Who launched a run, through which path, and the server's signature over both (run_identity.py).
LAUNCHED_BY_TAG = "bgtasks/launched_by"  # a user name, "local:<os user>" or "system:bgtasks"
LAUNCHED_VIA_TAG = "bgtasks/launched_via"  # ui, api, cli, shell, schedule, sensor, backfill, daemon
SIGNATURE_TAG = "bgtasks/launch_signature"

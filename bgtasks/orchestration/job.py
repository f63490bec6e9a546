"""The one shared job: ``background_task``, partitioned by task name, one op that runs the container."""

# No "from __future__ import annotations" here: Dagster reads the op's config annotation at runtime.

import sys
import time
from pathlib import Path

from dagster import (
    Config,
    Failure,
    MetadataValue,
    OpExecutionContext,
    Output,
    TableColumn,
    TableRecord,
    TableSchema,
    in_process_executor,
    job,
    op,
)
from pydantic import Field

from bgtasks.errors import BgtasksError
from bgtasks.execution import prepared
from bgtasks.execution.container_settings import installation_id
from bgtasks.execution.runner import ContainerResult, run_container
from bgtasks.orchestration.partitions import TASKS_PARTITIONS
from bgtasks.orchestration.pinning import OP_NAME, pin_run
from bgtasks.orchestration.results import run_dir as run_dir_of
from bgtasks.orchestration.tags import EXIT_CODE_TAG, JOB_NAME
from bgtasks.services import services_for

OUTPUTS_SCHEMA = TableSchema(
    columns=[
        TableColumn("name", "string"),
        TableColumn("bytes", "int"),
        TableColumn("sha256", "string"),
    ]
)


class TaskRunConfig(Config):
    """Per-run overrides. Leave empty to run the task exactly as defined."""

    env: dict[str, str] = Field(default_factory=dict, description="Extra environment for this run only.")
    command: list[str] | None = Field(
        default=None, description="Replace the task's command for this run only."
    )


class _LogSink:
    """Each container line goes to the step's stdout (the full log in the UI's stdout view and in
    task.log) and, up to a cap, to Dagster's event log as it arrives."""

    def __init__(self, context: OpExecutionContext, log_file: Path, event_cap: int) -> None:
        self._context = context
        self._cap = event_cap
        self._count = 0
        log_file.parent.mkdir(parents=True, exist_ok=True)
        self._file = log_file.open("a", encoding="utf-8")

    def __call__(self, line: str) -> None:
        self._count += 1
        self._file.write(line + "\n")
        self._file.flush()
        sys.stdout.write(line + "\n")
        if self._count <= self._cap:
            self._context.log.info(line)
        elif self._count == self._cap + 1:
            self._context.log.warning(
                f"more than {self._cap} log lines: the rest is in the run's stdout log and 'bgtasks logs'"
            )

    def close(self) -> None:
        self._file.close()


def _metadata(result: ContainerResult, run_dir: Path) -> dict:
    metadata: dict = {
        "exit_code": MetadataValue.int(result.exit_code)
        if result.exit_code is not None
        else MetadataValue.null(),
        "duration_seconds": MetadataValue.float(round(result.duration_seconds, 3)),
        "peak_memory_bytes": (
            MetadataValue.int(result.peak_memory_bytes)
            if result.peak_memory_bytes is not None
            else MetadataValue.null()
        ),
        "outputs": MetadataValue.table(
            records=[TableRecord(file.to_json()) for file in result.outputs], schema=OUTPUTS_SCHEMA
        ),
        "output_dir": MetadataValue.path(str(run_dir / "outputs")),
    }
    if result.skipped_outputs:
        metadata["skipped_outputs"] = MetadataValue.json(result.skipped_outputs)
    return metadata


@op(name=OP_NAME, description="Runs the task's image in its own container with the launch template's limits.")
def run_container_op(context: OpExecutionContext, config: TaskRunConfig) -> Output[None]:
    services = services_for(context.instance)
    run_id = context.run_id
    task_name = context.partition_key if context.has_partition_key else None
    try:
        spec = pin_run(services, run_id, task_name, context.run.run_config)
    except BgtasksError as exc:
        raise Failure(description=str(exc)) from exc
    context.log.info(
        f"task {spec.task_name} r{spec.task_revision}: image {spec.image_reference} ({spec.image_digest[:19]}), "
        f"template {spec.template_name}: {spec.cpus} CPU, {spec.memory_mib} MiB, {spec.max_processes} processes, "
        f"{spec.time_limit_seconds} s, network {spec.network}"
    )
    run_dir = run_dir_of(services, run_id)
    sink = _LogSink(context, run_dir / "task.log", services.settings.log_lines_in_event_log)
    started = time.monotonic()
    try:
        result = run_container(
            services.docker,
            spec,
            run_id,
            run_dir,
            sink,
            installation=installation_id(services.settings.home),
            max_output_bytes=services.settings.output_max_bytes,
            stop_grace_seconds=services.settings.stop_grace_seconds,
            prepared=prepared.take(run_id),
        )
    except BgtasksError as exc:
        result = ContainerResult(
            exit_code=None,
            duration_seconds=time.monotonic() - started,
            peak_memory_bytes=None,
            message=str(exc),
        )
    except BaseException:
        services.runs.record_result(
            run_id,
            exit_code=None,
            duration_seconds=time.monotonic() - started,
            peak_memory_bytes=None,
            outputs=[],
            message="terminated on request",
        )
        raise
    finally:
        sink.close()
    services.runs.record_result(
        run_id,
        exit_code=result.exit_code,
        duration_seconds=result.duration_seconds,
        peak_memory_bytes=result.peak_memory_bytes,
        outputs=[file.to_json() for file in result.outputs],
        message=result.message,
    )
    if result.exit_code is not None:
        context.instance.add_run_tags(run_id, {EXIT_CODE_TAG: str(result.exit_code)})
    metadata = _metadata(result, run_dir)
    if not result.succeeded:
        raise Failure(description=result.message, metadata=metadata, allow_retries=False)
    return Output(None, metadata=metadata)


@job(
    name=JOB_NAME,
    partitions_def=TASKS_PARTITIONS,
    executor_def=in_process_executor,
    description="Runs one Background Task: pick the task by its name (the partition).",
    tags={"bgtasks/kind": "task"},
)
def background_task_job() -> None:
    run_container_op()

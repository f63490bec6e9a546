"""``bgtasks run``, ``runs``, ``logs``, ``outputs``: start tasks and see what they did."""

from __future__ import annotations

import shutil
import sys
import time
from typing import Any

import click

from bgtasks.cli import context
from bgtasks.cli.output import as_json, epoch_text, json_option, size_text, table
from bgtasks.cli.parsing import parse_command, parse_env
from bgtasks.registry.models import validated
from bgtasks.registry.runs import RunOverrides


@click.command("run")
@click.argument("task")
@click.option(
    "--env", "env", multiple=True, metavar="NAME=VALUE", help="Extra environment for this run only."
)
@click.option("--command", help="Replace the task's command for this run only.")
@click.option(
    "--wait/--no-wait", default=True, help="Wait for the run to finish (default) and print its result."
)
@click.option("--timeout", type=float, default=None, help="Stop waiting after this many seconds.")
def run(task: str, env: tuple[str, ...], command: str | None, wait: bool, timeout: float | None) -> None:
    """Run a task once (a prebuilt task too). Exits 0 when the run succeeded, 1 when it failed."""
    from bgtasks.orchestration.results import run_view

    overrides = validated(RunOverrides, {"env": parse_env(env), "command": parse_command(command)})
    instance = context.instance()
    services = context.services()
    submitted = _launch(instance, task, overrides)
    click.echo(f"run {submitted.run_id} of task {task}: {submitted.status.value}")
    if not wait:
        return
    deadline = None if timeout is None else time.monotonic() + timeout
    view = run_view(instance, services, submitted.run_id)
    while not view.finished:
        if deadline is not None and time.monotonic() > deadline:
            click.echo(
                f"still {view.status} after {timeout} s; follow it with 'bgtasks runs show {view.run_id}'"
            )
            sys.exit(124)
        time.sleep(0.2)
        view = run_view(instance, services, submitted.run_id)
    _print_view(view)
    sys.exit(0 if view.status == "SUCCESS" else 1)


def _launch(instance: Any, task: str, overrides: RunOverrides) -> Any:
    from bgtasks.orchestration.launch import (
        PREBUILT_LOCATION_NAME,
        in_process_workspace,
        launch_job,
        launch_task,
    )
    from bgtasks.orchestration.tags import TASK_TAG, TRIGGER_TAG
    from bgtasks.registry.prebuilt import get_prebuilt, is_prebuilt

    if not is_prebuilt(task):
        with in_process_workspace(instance) as workspace:
            return launch_task(instance, workspace, task, overrides)
    prebuilt = get_prebuilt(task)
    if overrides.env or overrides.command is not None:
        raise click.UsageError("a prebuilt task takes no --env or --command")
    with in_process_workspace(instance, [PREBUILT_LOCATION_NAME]) as workspace:
        return launch_job(
            instance,
            workspace,
            PREBUILT_LOCATION_NAME,
            prebuilt.job_name,
            {},
            {TASK_TAG: prebuilt.name, TRIGGER_TAG: "manual"},
        )


def _print_view(view: Any) -> None:
    click.echo(f"status: {view.status}")
    click.echo(f"exit code: {view.exit_code if view.exit_code is not None else '-'}")
    if view.duration_seconds is not None:
        click.echo(f"duration: {view.duration_seconds:.2f} s")
    click.echo(f"peak memory: {size_text(view.peak_memory_bytes)}")
    for item in view.outputs:
        click.echo(f"output: {item['name']}  {item['bytes']} bytes  sha256 {item['sha256']}")
    if view.message:
        click.echo(f"message: {view.message}")


@click.group("runs")
def runs() -> None:
    """Runs of tasks: list, show, terminate."""


@runs.command("list")
@click.argument("task", required=False)
@click.option("--limit", type=click.IntRange(1, 1000), default=20)
@json_option
def list_runs(task: str | None, limit: int, as_json_output: bool) -> None:
    """Newest runs first, of one task or of all."""
    from bgtasks.orchestration.results import task_runs
    from bgtasks.registry.prebuilt import get_prebuilt, is_prebuilt

    services = context.services()
    if task:
        get_prebuilt(task) if is_prebuilt(task) else services.tasks.get(task)
    views = task_runs(context.instance(), services, task, limit)
    if as_json_output:
        as_json([view.to_json() for view in views])
        return
    table(
        ["run id", "task", "status", "trigger", "created", "duration", "exit", "peak memory", "outputs"],
        [
            [
                view.run_id,
                view.task_name,
                view.status,
                view.trigger or "-",
                epoch_text(view.created_at),
                f"{view.duration_seconds:.1f} s" if view.duration_seconds is not None else "-",
                view.exit_code if view.exit_code is not None else "-",
                size_text(view.peak_memory_bytes),
                len(view.outputs),
            ]
            for view in views
        ],
    )


@runs.command("show")
@click.argument("run_id")
@json_option
def show_run(run_id: str, as_json_output: bool) -> None:
    """Status, exit code, duration, peak memory and output files of a run."""
    from bgtasks.orchestration.results import run_view

    view = run_view(context.instance(), context.services(), run_id)
    if as_json_output:
        as_json(view.to_json())
        return
    click.echo(f"run: {view.run_id}\ntask: {view.task_name}\ntrigger: {view.trigger}")
    _print_view(view)


@runs.command("terminate")
@click.argument("run_id")
def terminate_run(run_id: str) -> None:
    """Stop a queued or running run; its container is stopped and removed."""
    from bgtasks.orchestration.results import run_view

    instance = context.instance()
    view = run_view(instance, context.services(), run_id)
    if view.finished:
        click.echo(f"run {run_id} already finished: {view.status}")
        return
    if not instance.run_coordinator.cancel_run(run_id):
        click.echo(f"run {run_id} could not be terminated (status {view.status})", err=True)
        sys.exit(1)
    click.echo(f"terminating run {run_id}")


@click.command("logs")
@click.argument("run_id")
@click.option("--follow", "-f", is_flag=True, help="Keep printing new lines until the run finishes.")
def logs(run_id: str, follow: bool) -> None:
    """Print what the task's container wrote (stdout and stderr)."""
    from bgtasks.orchestration.results import run_view, task_log

    services = context.services()
    path = task_log(services, run_id)
    position = 0
    while True:
        if path.exists():
            with path.open("rb") as stream:
                stream.seek(position)
                data = stream.read()
                position += len(data)
                sys.stdout.write(data.decode("utf-8", errors="replace"))
                sys.stdout.flush()
        if not follow or run_view(context.instance(), services, run_id).finished:
            if follow and path.exists() and path.stat().st_size > position:
                continue
            break
        time.sleep(0.5)


@click.command("outputs")
@click.argument("run_id")
@click.argument("name", required=False)
@click.option(
    "-o", "--output", "destination", type=click.Path(dir_okay=False, writable=True), help="Write to a file."
)
@json_option
def outputs(run_id: str, name: str | None, destination: str | None, as_json_output: bool) -> None:
    """List a run's output files, or fetch one by NAME (to standard output or -o FILE)."""
    from bgtasks.orchestration.results import output_file

    services = context.services()
    if name is None:
        record = services.runs.get(run_id)
        files = list(record.outputs or [])
        if as_json_output:
            as_json(files)
        else:
            table(["name", "bytes", "sha256"], [[f["name"], f["bytes"], f["sha256"]] for f in files])
        return
    path = output_file(services, run_id, name)
    if destination:
        shutil.copyfile(path, destination)
        click.echo(f"wrote {destination}", err=True)
    else:
        with path.open("rb") as source:
            shutil.copyfileobj(source, sys.stdout.buffer)

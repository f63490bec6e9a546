"""``bgtasks tasks``: create, list, show, update and delete Background Tasks."""

from __future__ import annotations

import getpass
from dataclasses import asdict
from typing import Any

import click

from bgtasks.cli import context
from bgtasks.cli.output import as_json, epoch_text, json_option, table
from bgtasks.cli.parsing import parse_command, parse_env
from bgtasks.errors import InvalidInput
from bgtasks.registry.models import Task


@click.group()
def tasks() -> None:
    """Background Tasks: an image, a command, environment, a launch template, a schedule."""


def _task_json(task: Task) -> dict[str, Any]:
    data = task.model_dump()
    data["next_run"] = epoch_text(task.next_run_at) if task.next_run_at else None
    return data


@tasks.command("list")
@click.option("--no-prebuilt", is_flag=True, help="Leave out the prebuilt public-data tasks.")
@json_option
def list_tasks(no_prebuilt: bool, as_json_output: bool) -> None:
    """List tasks with their schedule and next run time, then the prebuilt tasks."""
    from bgtasks.registry.prebuilt import list_prebuilt

    found = context.services().tasks.list()
    prebuilt = [] if no_prebuilt else list_prebuilt()
    if as_json_output:
        as_json(
            [{"kind": "task", **_task_json(task)} for task in found]
            + [{"kind": "prebuilt", **asdict(task)} for task in prebuilt]
        )
        return
    rows = [
        [
            task.name,
            "task",
            task.image,
            task.template,
            f"{task.schedule} ({task.timezone})" if task.schedule else "-",
            epoch_text(task.next_run_at),
            task.run_after or "-",
            "yes" if task.enabled else "no",
            task.owner,
        ]
        for task in found
    ]
    rows += [
        [
            task.name,
            "prebuilt",
            f"source {task.source}",
            "-",
            f"{task.cron} ({task.timezone})",
            "schedule stopped by default",
            "-",
            "-",
            "bgtasks",
        ]
        for task in prebuilt
    ]
    table(["name", "kind", "image", "template", "schedule", "next run", "after", "enabled", "owner"], rows)


@tasks.command("show")
@click.argument("name")
def show_task(name: str) -> None:
    """Show one task, including its pinned image digest and next run time."""
    as_json(_task_json(context.services().tasks.get(name)))


def _task_options(function):
    for decorator in reversed(
        [
            click.option("--description"),
            click.option("--image", help="Reference of a registered image (pinned by digest)."),
            click.option("--command", help='Command line, shell-quoted: --command "python run.py --day 1".'),
            click.option(
                "--env", "env", multiple=True, metavar="NAME=VALUE", help="Set an environment variable."
            ),
            click.option("--template", help="Launch template name (default: small)."),
            click.option("--schedule", help="Cron expression, five fields: '0 6 * * 1-5'."),
            click.option("--timezone", help="IANA time zone of the schedule (default UTC)."),
            click.option("--run-after", help="Also run whenever this other task succeeds."),
        ]
    ):
        function = decorator(function)
    return function


def _fields(**options: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for key in ("description", "image", "template", "schedule", "timezone", "run_after"):
        if options.get(key) is not None:
            fields[key] = options[key]
    command = parse_command(options.get("command"))
    if command is not None:
        fields["command"] = command
    return fields


@tasks.command("create")
@click.argument("name")
@_task_options
@click.option("--disabled", is_flag=True, help="Create it with schedule and triggers paused.")
@click.option(
    "--owner",
    envvar="BGTASKS_USER",
    default=getpass.getuser,
    help="The bgtasks user who owns the task; its schedule and triggers run as this user "
    "(default: $BGTASKS_USER, else your login name).",
)
def create_task(name: str, disabled: bool, owner: str, **options: Any) -> None:
    """Create a task (--image is required)."""
    fields = _fields(**options)
    if options.get("env"):
        fields["env"] = parse_env(options["env"])
    if disabled:
        fields["enabled"] = False
    services = context.services()
    user = services.users.find(owner)
    if user is None or not user.active:
        raise InvalidInput(
            f"{owner!r} is not an active bgtasks user: pass --owner NAME or set BGTASKS_USER "
            "(see 'bgtasks users list'); scheduled and triggered runs run as the owner",
            field="owner",
        )
    task = services.tasks.create({"name": name, **fields}, owner=owner)
    click.echo(f"created task {task.name} (image {task.image} pinned at {task.image_digest[:19]})")
    if task.next_run_at:
        click.echo(f"next run: {epoch_text(task.next_run_at)}")


@tasks.command("update")
@click.argument("name")
@_task_options
@click.option("--unset-env", multiple=True, metavar="NAME", help="Remove an environment variable.")
@click.option("--no-schedule", is_flag=True, help="Remove the cron schedule.")
@click.option("--no-run-after", is_flag=True, help="Remove the 'run after' trigger.")
@click.option("--enable/--disable", "enabled", default=None, help="Resume or pause schedule and triggers.")
@click.option("--repin", is_flag=True, help="Pin the image reference's current digest again.")
def update_task(
    name: str,
    unset_env: tuple[str, ...],
    no_schedule: bool,
    no_run_after: bool,
    enabled: bool | None,
    repin: bool,
    **options: Any,
) -> None:
    """Change a task. Runs already submitted keep the definition they started with."""
    services = context.services()
    changes = _fields(**options)
    if options.get("env") or unset_env:
        env = dict(services.tasks.get(name).env)
        env.update(parse_env(options.get("env") or ()))
        for variable in unset_env:
            env.pop(variable, None)
        changes["env"] = env
    if no_schedule:
        changes["schedule"] = None
    if no_run_after:
        changes["run_after"] = None
    if enabled is not None:
        changes["enabled"] = enabled
    if not changes and not repin:
        raise click.UsageError("nothing to change: give at least one option")
    task = services.tasks.update(name, changes, repin_image=repin)
    click.echo(f"updated task {task.name} (revision {task.revision})")
    if task.next_run_at:
        click.echo(f"next run: {epoch_text(task.next_run_at)}")


@tasks.command("delete")
@click.argument("name")
def delete_task(name: str) -> None:
    """Delete a task. Its run history stays."""
    context.services().tasks.delete(name)
    click.echo(f"deleted task {name}")

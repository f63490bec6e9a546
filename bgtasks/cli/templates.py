"""``bgtasks templates``: launch templates, the resources a task's container gets."""

from __future__ import annotations

from typing import Any

import click

from bgtasks.cli import context
from bgtasks.cli.output import as_json, json_option, table
from bgtasks.cli.parsing import parse_duration_seconds, parse_env, parse_memory_mib
from bgtasks.registry.models import LaunchTemplate


@click.group()
def templates() -> None:
    """Launch templates: CPU, memory, processes, time limit, network, default environment."""


def _row(template: LaunchTemplate) -> list[Any]:
    return [
        template.name,
        template.cpus,
        f"{template.memory_mib} MiB",
        template.max_processes,
        f"{template.time_limit_seconds} s",
        template.network,
        template.run_as_user or "(image)",
        template.revision,
    ]


HEADERS = ["name", "cpus", "memory", "processes", "time limit", "network", "user", "revision"]


@templates.command("list")
@json_option
def list_templates(as_json_output: bool) -> None:
    """List launch templates."""
    found = context.services().templates.list()
    if as_json_output:
        as_json([template.model_dump() for template in found])
    else:
        table(HEADERS, [_row(template) for template in found])


@templates.command("show")
@click.argument("name")
def show_template(name: str) -> None:
    """Show one launch template."""
    as_json(context.services().templates.get(name).model_dump())


def _options(function):
    for decorator in reversed(
        [
            click.option("--description"),
            click.option("--cpus", type=float, help="CPU quota in cores (0.25 = a quarter core)."),
            click.option("--memory", help="Memory limit, MiB or with a unit (512Mi, 2Gi); no swap."),
            click.option("--max-processes", type=int, help="Largest number of processes and threads."),
            click.option("--time-limit", help="Wall-clock limit of a run: seconds, or 30s, 10m, 2h."),
            click.option("--network", type=click.Choice(["none", "bridge"])),
            click.option("--env", "env", multiple=True, metavar="NAME=VALUE", help="Default environment."),
            click.option(
                "--user", "run_as_user", help="uid[:gid] to run as; 'image' keeps the image's user."
            ),
        ]
    ):
        function = decorator(function)
    return function


def _changes(**options: Any) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for key in ("description", "cpus", "max_processes", "network"):
        if options.get(key) is not None:
            changes[key] = options[key]
    if options.get("memory") is not None:
        changes["memory_mib"] = parse_memory_mib(options["memory"])
    if options.get("time_limit") is not None:
        changes["time_limit_seconds"] = parse_duration_seconds(options["time_limit"])
    if options.get("env"):
        changes["env"] = parse_env(options["env"])
    if options.get("run_as_user") is not None:
        changes["run_as_user"] = None if options["run_as_user"] == "image" else options["run_as_user"]
    return changes


@templates.command("create")
@click.argument("name")
@_options
def create_template(name: str, **options: Any) -> None:
    """Create a launch template (--cpus, --memory, --max-processes and --time-limit are required)."""
    template = context.services().templates.create({"name": name, **_changes(**options)})
    click.echo(f"created launch template {template.name}")


@templates.command("update")
@click.argument("name")
@_options
def update_template(name: str, **options: Any) -> None:
    """Change a launch template. Runs already submitted keep the values they started with."""
    changes = _changes(**options)
    if not changes:
        raise click.UsageError("nothing to change: give at least one option")
    template = context.services().templates.update(name, changes)
    click.echo(f"updated launch template {template.name} (revision {template.revision})")


@templates.command("delete")
@click.argument("name")
def delete_template(name: str) -> None:
    """Delete a launch template that no task uses."""
    context.services().templates.delete(name)
    click.echo(f"deleted launch template {name}")

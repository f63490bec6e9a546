"""The ``bgtasks`` command. Every subcommand works through the same services the server uses.

Errors print one line, ``error: <field>: <reason>``, and exit non-zero (see bgtasks.errors).
"""

from __future__ import annotations

import sys

import click

from bgtasks.catalog.cli import sources
from bgtasks.cli.identity import audit, tokens, users
from bgtasks.cli.images import images
from bgtasks.cli.runs import logs, outputs, run, runs
from bgtasks.cli.service import daemon, init, serve, web, worker
from bgtasks.cli.tasks import tasks
from bgtasks.cli.templates import templates
from bgtasks.errors import BgtasksError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Background Tasks: run your own Docker images next to your data."""


for command in (
    templates,
    images,
    tasks,
    run,
    runs,
    logs,
    outputs,
    sources,
    users,
    tokens,
    audit,
    init,
    serve,
    web,
    daemon,
    worker,
):
    cli.add_command(command)


def main() -> None:
    try:
        cli(standalone_mode=False)
    except BgtasksError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)

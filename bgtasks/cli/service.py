"""``bgtasks init``, ``serve`` and ``worker``: setting up an instance and running the service."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from bgtasks.cli import context

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@click.command("init")
@click.option("--examples", is_flag=True, help="Also register the example images and tasks.")
def init(examples: bool) -> None:
    """Prepare the instance: dagster.yaml, Dagster and registry tables, default templates, partitions."""
    from bgtasks.examples import install_examples
    from bgtasks.orchestration.partitions import DagsterTaskPartitions
    from bgtasks.settings import get_settings

    home = get_settings().home
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    project_config = PROJECT_ROOT / "dagster.yaml"
    if not config.exists() and project_config.exists():
        config.symlink_to(project_config)
        click.echo(f"linked {config} -> {project_config}")
    instance = context.instance()
    instance.upgrade()
    services = context.services()
    created = services.templates.seed_defaults()
    if created:
        click.echo(f"created launch templates: {', '.join(created)}")
    added, removed = DagsterTaskPartitions(instance).sync(task.name for task in services.tasks.list())
    if added or removed:
        click.echo(f"task partitions: {len(added)} added, {len(removed)} removed")
    if examples:
        for line in install_examples(services):
            click.echo(line)
    click.echo(f"instance ready in {home}")


@click.command("worker")
def worker() -> None:
    """Run the warm run worker (``bgtasks serve`` starts one)."""
    from bgtasks.orchestration.worker import RunWorker
    from bgtasks.settings import get_settings

    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    logger = logging.getLogger("bgtasks")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    RunWorker(context.instance(), get_settings().worker_socket_path).serve_forever()


@click.command("serve")
@click.option(
    "--workspace",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=PROJECT_ROOT / "workspace.yaml",
    show_default=True,
)
def serve(workspace: Path) -> None:
    """Start the web UI, the daemon (schedules, sensors, queue) and the warm run worker."""
    from bgtasks.server.supervisor import Supervisor

    context.instance()  # fails early, with a clear message, on a missing dagster.yaml
    raise SystemExit(Supervisor(workspace).run())

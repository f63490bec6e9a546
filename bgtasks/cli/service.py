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


workspace_option = click.option(
    "--workspace",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=PROJECT_ROOT / "workspace.yaml",
    show_default=True,
)


@click.command("serve")
@workspace_option
def serve(workspace: Path) -> None:
    """Start the server (web UI, GraphQL, REST API), the daemon and the warm run worker.

    When no admin exists yet, creates one named 'admin' and prints its password once.
    """
    from bgtasks.identity.passwords import generate_password
    from bgtasks.server.supervisor import Supervisor

    context.instance()  # fails early, with a clear message, on a missing dagster.yaml
    services = context.services()
    first_admin = None
    if not services.users.has_active_admin():
        password = generate_password()
        name = "admin" if services.users.find("admin") is None else "admin-1"
        services.users.create(name, roles=["ADMIN"], password=password)
        services.audit.record(
            "system:bgtasks", "user.create", f"user:{name}", via="cli", detail={"roles": ["ADMIN"]}
        )
        first_admin = (name, password)
    raise SystemExit(Supervisor(workspace, first_admin=first_admin).run())


@click.command("web")
@workspace_option
@click.option("--host", default=None, help="Default: BGTASKS_HOST (127.0.0.1).")
@click.option("--port", type=int, default=None, help="Default: BGTASKS_PORT (3000).")
def web(workspace: Path, host: str | None, port: int | None) -> None:
    """Run only the web server: UI, GraphQL and REST API on one port (``bgtasks serve`` starts it)."""
    from bgtasks.server.app import serve_web
    from bgtasks.settings import get_settings

    settings = get_settings()
    serve_web(context.instance(), workspace, host or settings.host, port or settings.port)


@click.command("daemon")
@workspace_option
def daemon(workspace: Path) -> None:
    """Run Dagster's daemon (schedules, sensors, queue) as bgtasks' daemon (``bgtasks serve`` starts it).

    Runs that this process submits for schedules, sensors and backfills run as their task's owner.
    """
    from dagster._daemon.cli import run_command

    from bgtasks.permissions.launch_guard import mark_daemon_process

    mark_daemon_process()
    run_command.main(["-w", str(workspace)], standalone_mode=False)

"""``bgtasks images``: the images tasks run, each recorded with the digest tasks pin."""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

import click

from bgtasks.cli import context
from bgtasks.cli.output import as_json, json_option, size_text, table


@click.group()
def images() -> None:
    """Register images the engine has, or upload 'docker save' archives."""


@images.command("list")
@json_option
def list_images(as_json_output: bool) -> None:
    """List registered images."""
    found = context.services().images.list()
    if as_json_output:
        as_json([image.model_dump() for image in found])
        return
    table(
        ["reference", "digest", "size", "origin", "updated"],
        [[i.reference, i.digest[:19], size_text(i.size_bytes), i.origin, i.updated_at] for i in found],
    )


@images.command("register")
@click.argument("reference")
def register_image(reference: str) -> None:
    """Record an image the Docker Engine already has (e.g. built with docker build)."""
    image = context.services().images.register(reference)
    click.echo(f"registered {image.reference} {image.digest}")


def _chunks(stream: BinaryIO, size: int = 1 << 20) -> Iterator[bytes]:
    while chunk := stream.read(size):
        yield chunk


@images.command("upload")
@click.argument("archive", type=click.File("rb"))
def upload_image(archive: BinaryIO) -> None:
    """Load a 'docker save' archive (a file, or - for standard input) and register its tags."""
    services = context.services()
    for image in services.images.upload(_chunks(archive), services.settings.upload_max_bytes):
        click.echo(f"registered {image.reference} {image.digest}")


@images.command("delete")
@click.argument("reference")
def delete_image(reference: str) -> None:
    """Forget an image no task uses (the engine keeps it)."""
    context.services().images.delete(reference)
    click.echo(f"deleted {reference}")

"""`bgtasks sources ...`: list Sources, their versions and files.

``sources`` is a click group; the main CLI adds it with ``cli.add_command(sources)``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from functools import wraps
from typing import Any

import click

from bgtasks.catalog.catalog import Catalog
from bgtasks.errors import BgtasksError


class CatalogCommandError(click.ClickException):
    """A BgtasksError shown as a one-line message with the error's own exit code."""

    def __init__(self, error: BgtasksError) -> None:
        super().__init__(str(error))
        self.exit_code = error.exit_code  # type: ignore[misc]  # click declares it on the class


def _mapped_errors(fn: Callable[..., None]) -> Callable[..., None]:
    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        try:
            fn(*args, **kwargs)
        except BgtasksError as exc:
            raise CatalogCommandError(exc) from exc

    return wrapper


def _catalog(ctx: click.Context) -> Catalog:
    root = ctx.obj.get("catalog_root") if isinstance(ctx.obj, dict) else None
    return Catalog(root) if root else Catalog.from_settings()


@click.group("sources")
@click.option(
    "--root",
    "catalog_root",
    default=None,
    metavar="URI",
    help="Catalog root (directory or filesystem URI). Default: BGTASKS_CATALOG_ROOT or $DAGSTER_HOME/catalog.",
)
@click.pass_context
def sources(ctx: click.Context, catalog_root: str | None) -> None:
    """Sources: named datasets kept as versions (prebuilt fetchers and tasks publish them)."""
    ctx.ensure_object(dict)
    if catalog_root:
        ctx.obj["catalog_root"] = catalog_root


@sources.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
@_mapped_errors
def list_sources(ctx: click.Context, as_json: bool) -> None:
    """List every Source with its format and current version."""
    items = _catalog(ctx).list_sources()
    if as_json:
        _print_json(
            [
                {
                    "name": s.name,
                    "format": s.format,
                    "current_version": s.current_version,
                    "versions": s.version_count,
                    "description": s.description,
                }
                for s in items
            ]
        )
        return
    _print_table(
        ["NAME", "FORMAT", "CURRENT", "VERSIONS", "DESCRIPTION"],
        [[s.name, s.format, s.current_version or "-", str(s.version_count), s.description] for s in items],
    )


@sources.command("versions")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
@_mapped_errors
def list_versions(ctx: click.Context, name: str, as_json: bool) -> None:
    """List the committed versions of Source NAME, oldest first; * marks the current one."""
    items = _catalog(ctx).list_versions(name)
    if as_json:
        _print_json([{**v.manifest.to_json(), "current": v.current} for v in items])
        return
    _print_table(
        ["", "VERSION", "ROWS", "BYTES", "FETCHED_AT", "RUN_ID"],
        [
            [
                "*" if v.current else "",
                v.version,
                str(v.manifest.rows),
                str(v.manifest.bytes),
                v.manifest.fetched_at,
                v.manifest.run_id or "-",
            ]
            for v in items
        ],
    )


@sources.command("files")
@click.argument("name")
@click.option("--version", "version", default=None, help="A version id. Default: the current version.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
@_mapped_errors
def list_files(ctx: click.Context, name: str, version: str | None, as_json: bool) -> None:
    """List the files of a version of Source NAME with where to open them."""
    items = _catalog(ctx).list_files(name, version)
    if as_json:
        _print_json([vars(f) for f in items])
        return
    _print_table(
        ["LOCATION", "ROWS", "BYTES", "SHA256"],
        [[f.location, str(f.rows), str(f.bytes), f.sha256] for f in items],
    )


def _print_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=True))


def _print_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    for line in [headers, *rows]:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip())

"""One shared gRPC code server per code location, on a Unix socket, for the web UI and the daemon.

Without this, the web UI and the daemon each start their own server for every location in
workspace.yaml: four processes importing the same code where two do, and a slow start on a small
machine. Unix sockets (mode 0600 in $DAGSTER_HOME) keep the unauthenticated gRPC port off the network.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import yaml


@dataclass(frozen=True)
class Location:
    name: str
    module: str
    attribute: str


def locations_of(workspace_file: Path) -> list[Location]:
    """The python_module locations workspace.yaml declares. Pure."""
    document = yaml.safe_load(workspace_file.read_text()) or {}
    found = []
    for entry in document.get("load_from", []):
        module = entry.get("python_module")
        if isinstance(module, str):
            module = {"module_name": module}
        if not module:
            raise SystemExit(
                f"{workspace_file}: bgtasks serve runs python_module locations only, not {entry}"
            )
        found.append(
            Location(
                name=module.get("location_name", module["module_name"]),
                module=module["module_name"],
                attribute=module.get("attribute", "defs"),
            )
        )
    return found


def socket_for(home: Path, location: Location) -> Path:
    return home / f"code-{location.name}.sock"


def server_command(dagster: Path, home: Path, location: Location) -> list[str]:
    return [
        # `dagster api grpc` serves in one process; `code-server start` adds a proxy process per
        # location for reloads, which static definitions like ours never need.
        str(dagster), "api", "grpc",
        "--socket", str(socket_for(home, location)),
        "--module-name", location.module,
        "--attribute", location.attribute,
        "--location-name", location.name,
        "--log-level", "warning",
    ]  # fmt: skip


def write_grpc_workspace(home: Path, locations: list[Location]) -> Path:
    """A workspace file that points the web UI and the daemon at the shared servers."""
    path = home / "workspace.serve.yaml"
    entries = [
        {"grpc_server": {"socket": str(socket_for(home, location)), "location_name": location.name}}
        for location in locations
    ]
    path.write_text(yaml.safe_dump({"load_from": entries}))
    return path


def wait_until_serving(home: Path, locations: list[Location], timeout: float, still_alive) -> None:
    from dagster._grpc.client import DagsterGrpcClient

    deadline = time.monotonic() + timeout
    for location in locations:
        client = DagsterGrpcClient(socket=str(socket_for(home, location)))
        while True:
            still_alive()
            try:
                client.ping("")
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise SystemExit(
                        f"bgtasks serve: the code server of {location.name!r} did not answer within {timeout:.0f} s"
                    ) from None
                time.sleep(0.3)

"""``bgtasks serve``: starts the code servers, the warm run worker, the daemon and the web server,
and watches them.

The web server is one ASGI app of ours (``bgtasks web``): dagster-webserver built in-process behind
authentication and the GraphQL guard, the REST API under /api, the login page and /health. The
daemon runs as ``bgtasks daemon`` so the run coordinator knows its launches are the daemon's. Both
reach the code through one shared gRPC code server per location (bgtasks.server.code_servers).

If any of them exits, the others are stopped and ``serve`` exits non-zero with the name of the one
that ended: a half-running service is worse than a stopped one.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from bgtasks.orchestration.worker_client import WorkerUnavailable, ask_worker
from bgtasks.server.code_servers import locations_of, server_command, wait_until_serving, write_grpc_workspace
from bgtasks.settings import get_settings

BIN = Path(sys.executable).parent


@dataclass
class Child:
    name: str
    process: subprocess.Popen


class Supervisor:
    def __init__(self, workspace: Path, first_admin: tuple[str, str] | None = None) -> None:
        self._workspace = workspace
        self._first_admin = first_admin
        self._children: list[Child] = []
        self._stopping = False

    def _start(self, name: str, command: list[str]) -> None:
        process = subprocess.Popen(command, start_new_session=True)
        self._children.append(Child(name, process))

    def run(self) -> int:
        settings = get_settings()
        signal.signal(signal.SIGTERM, self._request_stop)
        signal.signal(signal.SIGINT, self._request_stop)
        try:
            locations = locations_of(self._workspace)
            for location in locations:
                self._start(
                    f"code server {location.name}", server_command(BIN / "dagster", settings.home, location)
                )
            self._start("run worker", [str(BIN / "bgtasks"), "worker"])
            wait_until_serving(settings.home, locations, timeout=180, still_alive=self._check_alive)
            workspace = write_grpc_workspace(settings.home, locations)
            self._wait_for_worker(settings.worker_socket_path)
            self._start("daemon", [str(BIN / "bgtasks"), "daemon", "--workspace", str(workspace)])
            web = [str(BIN / "bgtasks"), "web", "--workspace", str(workspace), "--host", settings.host]
            self._start("web server", [*web, "--port", str(settings.port)])
            url = f"http://{settings.host}:{settings.port}"
            self._wait_for_http(url + "/health")
            if self._first_admin:
                name, password = self._first_admin
                login = f"  sign in as {name} with password {password} (shown once; change it with 'bgtasks users reset-password {name}')\n"
            else:
                login = "  sign in with your user; 'bgtasks users create-admin NAME' makes another admin\n"
            print(
                f"\nbgtasks is running: {url}\n{login}  tasks: {url}/jobs/background_task/partitions\n"
                f"  REST API: {url}/api/docs\n  stop with Ctrl-C\n",
                flush=True,
            )
            return self._watch()
        finally:
            self._stop_all()

    def _request_stop(self, _signo: int, _frame: object) -> None:
        self._stopping = True

    def _watch(self) -> int:
        while not self._stopping:
            for child in self._children:
                code = child.process.poll()
                if code is not None:
                    print(
                        f"bgtasks serve: the {child.name} exited with code {code}; stopping", file=sys.stderr
                    )
                    return 1
            time.sleep(0.5)
        return 0

    def _wait_for_worker(self, socket_path: Path, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._check_alive()
            try:
                ask_worker(socket_path, {"op": "ping"}, timeout=2)
                return
            except (WorkerUnavailable, OSError):
                time.sleep(0.2)
        raise SystemExit(
            f"bgtasks serve: the run worker did not answer at {socket_path} within {timeout:.0f} s"
        )

    def _wait_for_http(self, url: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._check_alive()
            try:
                with urllib.request.urlopen(url, timeout=2):
                    return
            except OSError:
                time.sleep(0.5)
        raise SystemExit(f"bgtasks serve: the web server did not answer at {url} within {timeout:.0f} s")

    def _check_alive(self) -> None:
        for child in self._children:
            if child.process.poll() is not None:
                raise SystemExit(
                    f"bgtasks serve: the {child.name} exited with code {child.process.returncode}"
                )
            if self._stopping:
                raise SystemExit(0)

    def _stop_all(self) -> None:
        for child in reversed(self._children):
            if child.process.poll() is None:
                os.killpg(child.process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        for child in reversed(self._children):
            try:
                child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(child.process.pid, signal.SIGKILL)
                child.process.wait()

"""One real ``bgtasks serve`` for the whole session: web server, daemon and warm worker, in a temp
DAGSTER_HOME on a free port, with a user per role. Tests talk to it over HTTP only."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa

from tests.conftest import PROJECT_ROOT, TEST_IMAGE, write_instance_config

BIN = Path(sys.executable).parent
ROLES = ("admin", "owner", "editor", "viewer", "anonymous", "revoked")
USERS = {"admin": ["ADMIN"], "owner": ["TASK_EDITOR"], "editor": ["TASK_EDITOR"], "viewer": [], "revoked": []}
NAMES = {"admin": "ada", "owner": "olga", "editor": "ed", "viewer": "vic", "revoked": "rex"}
PASSWORDS = {role: f"{role}-password-1" for role in USERS}
UPLOAD_LIMIT = 8 * 1024 * 1024


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(predicate, timeout: float, what: str, interval: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"{what} did not happen within {timeout:.0f} s")


@dataclass
class Server:
    url: str
    home: Path
    env: dict[str, str]
    tokens: dict[str, str]
    engine: sa.Engine
    log: Path
    counter: list[int] = field(default_factory=lambda: [0])

    def headers(self, role: str) -> dict[str, str]:
        token = self.tokens.get(role)
        return {"Authorization": f"Bearer {token}"} if token else {}

    def api(self, role: str, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {**self.headers(role), **kwargs.pop("headers", {})}
        return requests.request(method, f"{self.url}/api{path}", headers=headers, timeout=60, **kwargs)

    def graphql(self, role: str, query: str, variables: dict | None = None) -> requests.Response:
        return requests.post(
            f"{self.url}/graphql",
            json={"query": query, "variables": variables or {}},
            headers=self.headers(role),
            timeout=60,
        )

    def unique(self, prefix: str) -> str:
        self.counter[0] += 1
        return f"{prefix}-{self.counter[0]}"

    def create_task(self, role: str = "owner", **fields: Any) -> str:
        name = fields.pop("name", None) or self.unique("t")
        body = {"name": name, "image": TEST_IMAGE, "command": ["true"], **fields}
        response = self.api(role, "POST", "/tasks", json=body)
        assert response.status_code == 201, response.text
        return name

    def start_run(self, role: str, task: str, **body: Any) -> str:
        response = self.api(role, "POST", f"/tasks/{task}/runs", json=body)
        assert response.status_code == 201, response.text
        return response.json()["run_id"]

    def run(self, run_id: str) -> dict:
        return self.api("admin", "GET", f"/runs/{run_id}").json()

    def wait_run(self, run_id: str, statuses: set[str], timeout: float = 90) -> dict:
        return wait_until(
            lambda: (view := self.run(run_id))["status"] in statuses and view,
            timeout,
            f"run {run_id} in {statuses}",
        )

    def audit(self, **params: Any) -> list[dict]:
        response = self.api("admin", "GET", "/audit", params={"limit": 200, **params})
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture(scope="session")
def server(tmp_path_factory, docker_engine, test_image) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("server")
    home = root / "home"
    write_instance_config(home)
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("BGTASKS_") and key != "DAGSTER_HOME"
    }
    env.update(
        DAGSTER_HOME=str(home),
        BGTASKS_HOST="127.0.0.1",
        BGTASKS_PORT=str(port),
        BGTASKS_UPLOAD_MAX_BYTES=str(UPLOAD_LIMIT),
        BGTASKS_STOP_GRACE_SECONDS="1",
    )
    subprocess.run([str(BIN / "bgtasks"), "init"], env=env, check=True, capture_output=True, cwd=PROJECT_ROOT)
    engine, tokens = _identities(home)
    log = root / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(BIN / "bgtasks"), "serve"],
            env=env,
            cwd=PROJECT_ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(
            lambda: process.poll() is not None or b"bgtasks is running" in log.read_bytes(),
            240,
            "serve start",
        )
        assert process.poll() is None, log.read_text()[-4000:]
        yield Server(url=url, home=home, env=env, tokens=tokens, engine=engine, log=log)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        _remove_task_containers(home, docker_engine)
        engine.dispose()


def _identities(home: Path) -> tuple[sa.Engine, dict[str, str]]:
    """Users and tokens, written straight into the registry (the server is not up yet)."""
    from bgtasks.db.engine import _create_engine
    from bgtasks.execution.engine import DockerEngine
    from bgtasks.identity.tokens import TokenService
    from bgtasks.identity.users import UserService
    from bgtasks.registry.images import ImageService

    engine = _create_engine(f"sqlite:///{home / 'bgtasks.db'}")
    users = UserService(engine)
    tokens_service = TokenService(engine, users)
    tokens = {}
    for role, roles in USERS.items():
        users.create(NAMES[role], roles=roles, password=PASSWORDS[role])
        secret, record = tokens_service.create(NAMES[role], "tests")
        tokens[role] = secret
        if role == "revoked":
            tokens_service.revoke(NAMES[role], record.id)
    ImageService(engine, lambda: DockerEngine(), home / "uploads").register(TEST_IMAGE)
    return engine, tokens


def _remove_task_containers(home: Path, docker_engine) -> None:
    """Containers of this installation that outlived the session (normally none)."""
    from bgtasks.execution.container_settings import INSTALLATION_LABEL, installation_id

    label = f"{INSTALLATION_LABEL}={installation_id(home)}"
    for container in docker_engine.client.containers.list(all=True, filters={"label": label}):
        container.remove(force=True)

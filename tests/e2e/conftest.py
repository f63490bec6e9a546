"""One real ``bgtasks serve`` for the whole e2e tier (warm worker, daemon, webserver) and ways to talk to it.

The service runs in its own temporary DAGSTER_HOME on a free port, exactly as a user starts it.
Tests reach it the way users do: GraphQL over HTTP, the ``bgtasks`` and ``dagster`` commands, and
the Docker Engine. Set-up that is not under test (registering images, creating most tasks) goes
through the same registry services in this process.

At the end the service is stopped with SIGTERM, like Ctrl-C, and the session fails if any process
of this DAGSTER_HOME or any task container of this installation is left behind.
"""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

import pytest
import requests

from tests.conftest import PROJECT_ROOT, write_instance_config

BIN = Path(sys.executable).parent
BGTASKS = str(BIN / "bgtasks")
DAGSTER = str(BIN / "dagster")
LOCATION = {"repositoryLocationName": "bgtasks", "repositoryName": "__repository__"}
JOB_SELECTOR = {**LOCATION, "jobName": "background_task"}
FINISHED = {"SUCCESS", "FAILURE", "CANCELED"}
LAUNCH = """
mutation Launch($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
    ... on Error { message }
  }
}
"""
STARTUP_SECONDS = 180  # webserver and daemon each import Dagster and start a code server; slow under load
T = TypeVar("T")


def wait_until(check: Callable[[], T | None], timeout: float, what: str, interval: float = 0.25) -> T:
    """Poll ``check`` until it returns something truthy; fail naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def clean_environment() -> dict[str, str]:
    """This process's environment without any bgtasks or Dagster instance settings of the caller."""
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("BGTASKS_") and key != "DAGSTER_HOME"
    }


def processes_with_home(home: Path) -> list[int]:
    """Pids of live processes whose environment has DAGSTER_HOME=home (everything serve started)."""
    marker = f"DAGSTER_HOME={home}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            variables = (entry / "environ").read_bytes().split(b"\0")
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        if marker in variables:
            found.append(int(entry.name))
    return found


@dataclass
class Server:
    home: Path
    port: int
    env: dict[str, str]
    process: subprocess.Popen | None = None
    _graphql: requests.Session = field(default_factory=requests.Session)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_file(self) -> Path:
        return self.home / "serve.log"

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no serve log)"

    # The registry and the engine, in this process, for set-up

    @cached_property
    def settings(self):
        from bgtasks.settings import Settings

        return Settings(DAGSTER_HOME=str(self.home), database_url=None, worker_socket=None, runs_dir=None)

    @cached_property
    def instance(self):
        from dagster import DagsterInstance

        # dagster.yaml resolves its storage directory from DAGSTER_HOME, as in serve's processes.
        previous = os.environ.get("DAGSTER_HOME")
        os.environ["DAGSTER_HOME"] = str(self.home)
        try:
            return DagsterInstance.from_config(str(self.home))
        finally:
            if previous is None:
                del os.environ["DAGSTER_HOME"]
            else:
                os.environ["DAGSTER_HOME"] = previous

    @property
    def services(self):
        from bgtasks.services import services_for

        return services_for(self.instance, self.settings)

    @cached_property
    def installation(self) -> str:
        from bgtasks.execution.container_settings import installation_id

        return installation_id(self.home)

    @cached_property
    def docker(self):
        import docker

        return docker.from_env()

    def create_task(self, name: str, image: str, **fields: Any):
        # Owned by the e2e admin: scheduled and triggered runs are launched as the task's owner.
        return self.services.tasks.create({"name": name, "image": image, **fields}, owner=E2E_USER)

    def _sign_in(self) -> None:
        """An admin user and API token: every path into serve needs an identity."""
        from bgtasks.identity.tokens import TokenService
        from bgtasks.identity.users import UserService

        users = UserService(self.services.engine)
        users.create(E2E_USER, roles=["ADMIN"], password="e2e-password-not-used")
        token, _record = TokenService(self.services.engine, users).create(E2E_USER, "e2e")
        self._graphql.headers["Authorization"] = f"Bearer {token}"
        self.env["BGTASKS_TOKEN"] = token  # `dagster job launch` identifies itself with it
        self.env["BGTASKS_USER"] = E2E_USER  # owner of the tasks `bgtasks tasks create` makes

    # Commands, as a user runs them

    def cli(
        self, *args: str, check: bool = True, binary: bool = False, timeout: float = 120
    ) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [BGTASKS, *args],
            env=self.env,
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=not binary,
            timeout=timeout,
            check=False,
        )
        if check and result.returncode != 0:
            pytest.fail(f"bgtasks {' '.join(args)} exited {result.returncode}: {result.stderr!r}")
        return result

    def cli_parallel(
        self, *commands: Sequence[str], binary: bool = False
    ) -> list[subprocess.CompletedProcess]:
        """Several read-only commands at once: each pays Dagster's import time, so start them together."""
        processes = [
            subprocess.Popen(
                [BGTASKS, *command],
                env=self.env,
                cwd=PROJECT_ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=not binary,
            )
            for command in commands
        ]
        results = []
        for command, process in zip(commands, processes, strict=True):
            stdout, stderr = process.communicate(timeout=120)
            if process.returncode != 0:
                pytest.fail(f"bgtasks {' '.join(command)} exited {process.returncode}: {stderr!r}")
            results.append(subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr))
        return results

    # GraphQL, as the UI sends it

    def graphql(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The answer's data. Errors raised inside resolvers come back as PythonError data, with
        HTTP status 500 (dagster-webserver's choice): the data is still the answer to check."""
        response = self._graphql.post(
            f"{self.url}/graphql", json={"query": query, "variables": variables or {}}, timeout=60
        )
        try:
            body = response.json()
        except ValueError:
            response.raise_for_status()
            raise
        if body.get("errors") or "data" not in body:
            pytest.fail(f"GraphQL request failed (HTTP {response.status_code}): {body}")
        return body["data"]

    def launch(self, task: str) -> dict[str, Any]:
        """Launch ``task`` the way the UI's launchpad does; return launchRun's answer, whatever it is."""
        tags = [{"key": "dagster/partition", "value": task}]
        params = {"selector": JOB_SELECTOR, "runConfigData": {}, "executionMetadata": {"tags": tags}}
        return self.graphql(LAUNCH, {"params": params})["launchRun"]

    def launch_run(self, task: str) -> str:
        """Launch ``task`` the way the UI's launchpad does; return the run id."""
        data = self.launch(task)
        assert data["__typename"] == "LaunchRunSuccess", data
        return data["run"]["runId"]

    def run(self, run_id: str) -> dict[str, Any]:
        """Status and tags (as a dict) of a run."""
        data = self.graphql(
            """
            query Run($runId: ID!) {
              runOrError(runId: $runId) { __typename ... on Run { runId status tags { key value } } }
            }
            """,
            {"runId": run_id},
        )["runOrError"]
        assert data["__typename"] == "Run", data
        return {**data, "tags": {tag["key"]: tag["value"] for tag in data["tags"]}}

    def wait_for_run(self, run_id: str, timeout: float = 60, statuses: set[str] = FINISHED) -> dict[str, Any]:
        return wait_until(
            lambda: (run := self.run(run_id))["status"] in statuses and run,
            timeout,
            f"run {run_id} to reach {sorted(statuses)}",
        )

    def runs_of(self, task: str) -> list[dict[str, Any]]:
        """Runs of ``task``, newest first, with their tags as dicts."""
        data = self.graphql(
            """
            query Runs($filter: RunsFilter!) {
              runsOrError(filter: $filter) {
                __typename ... on Runs { results { runId status tags { key value } } }
              }
            }
            """,
            {
                "filter": {
                    "pipelineName": "background_task",
                    "tags": [{"key": "dagster/partition", "value": task}],
                }
            },
        )["runsOrError"]
        assert data["__typename"] == "Runs", data
        return [{**run, "tags": {t["key"]: t["value"] for t in run["tags"]}} for run in data["results"]]

    def events(self, run_id: str) -> list[dict[str, Any]]:
        """Every event of a run's event log, in order: type, message and step failure error."""
        events: list[dict[str, Any]] = []
        cursor = None
        while True:
            data = self.graphql(
                """
                query Logs($runId: ID!, $cursor: String) {
                  logsForRun(runId: $runId, afterCursor: $cursor) {
                    __typename
                    ... on EventConnection {
                      cursor hasMore
                      events {
                        __typename
                        ... on MessageEvent { message level }
                        ... on ExecutionStepFailureEvent { error { message } }
                      }
                    }
                  }
                }
                """,
                {"runId": run_id, "cursor": cursor},
            )["logsForRun"]
            assert data["__typename"] == "EventConnection", data
            events.extend(data["events"])
            cursor = data["cursor"]
            if not data["hasMore"]:
                return events

    def partition_keys(self) -> list[str]:
        """The job's partition keys as the UI's partitions page reads them."""
        data = self.graphql(
            """
            query Partitions($params: PipelineSelector!) {
              pipelineOrError(params: $params) {
                __typename
                ... on Pipeline { partitionKeysOrError { __typename ... on PartitionKeys { partitionKeys } } }
              }
            }
            """,
            {"params": {**LOCATION, "pipelineName": "background_task"}},
        )["pipelineOrError"]
        assert data["__typename"] == "Pipeline", data
        keys = data["partitionKeysOrError"]
        assert keys["__typename"] == "PartitionKeys", keys
        return keys["partitionKeys"]

    def sensor_ticks(self, name: str) -> int:
        data = self.graphql(
            """
            query Sensor($selector: SensorSelector!) {
              sensorOrError(sensorSelector: $selector) {
                __typename ... on Sensor { sensorState { ticks(limit: 1) { status } } }
              }
            }
            """,
            {"selector": {**LOCATION, "sensorName": name}},
        )["sensorOrError"]
        assert data["__typename"] == "Sensor", data
        return len(data["sensorState"]["ticks"])

    # Task containers of this installation

    def containers_of_run(self, run_id: str, running_only: bool = False) -> list:
        return self.docker.containers.list(
            all=not running_only, filters={"label": f"org.bgtasks.run_id={run_id}"}
        )

    def release_gate(self, run_id: str) -> None:
        """Let a GATED task go on: its container waits for /tmp/go."""
        container = wait_until(
            lambda: next(iter(self.containers_of_run(run_id, running_only=True)), None),
            60,
            f"the container of run {run_id} to run",
        )
        result = container.exec_run(["touch", "/tmp/go"])
        assert result.exit_code == 0, result.output

    # Lifecycle

    def start(self) -> None:
        # What `bgtasks init` does, in this process (which has Dagster imported already): the storage
        # exists before serve's processes start, and the default templates are there.
        # tests/cli runs the real `bgtasks init`.
        write_instance_config(self.home)
        self.instance.upgrade()
        self.services.templates.seed_defaults()
        self._sign_in()
        with self.log_file.open("ab") as log:
            self.process = subprocess.Popen(
                [BGTASKS, "serve", "--workspace", str(PROJECT_ROOT / "workspace.yaml")],
                env=self.env,
                cwd=PROJECT_ROOT,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_until(self._answers, STARTUP_SECONDS, f"bgtasks serve to answer at {self.url}", interval=0.5)
        # Run-status sensors only see runs that finish after their first tick: wait for the daemon.
        wait_until(
            lambda: self.sensor_ticks("task_schedules") and self.sensor_ticks("task_triggers"),
            STARTUP_SECONDS,
            "the daemon's first sensor ticks",
            interval=0.5,
        )

    def _answers(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            pytest.fail(f"bgtasks serve exited with code {self.process.returncode}:\n{self.log_tail()}")
        try:
            return self._graphql.get(f"{self.url}/health", timeout=2).ok
        except requests.RequestException:
            return False

    def stop(self) -> list[str]:
        """Stop serve like Ctrl-C does; return what it left behind (and clean that up)."""
        problems: list[str] = []
        if self.process is not None and self.process.pid not in processes_with_home(self.home):
            problems.append("the leftover check cannot see serve's processes: it would find nothing")
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                problems.append("bgtasks serve did not stop within 60 s of SIGTERM")
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if "instance" in self.__dict__:
            self.instance.dispose()
        # Children exit right after serve does; anything still alive after a grace period is a leak.
        deadline = time.monotonic() + 15
        while (leftovers := processes_with_home(self.home)) and time.monotonic() < deadline:
            time.sleep(0.25)
        for pid in leftovers:
            problems.append(f"process {pid} left running: {_cmdline(pid)}")
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for container in self.docker.containers.list(
            all=True, filters={"label": f"org.bgtasks.installation={self.installation}"}
        ):
            problems.append(f"task container {container.name} left behind ({container.status})")
            container.remove(force=True)
        return problems


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:200]
    except OSError:
        return "?"


@pytest.fixture(scope="package")
def server(tmp_path_factory: pytest.TempPathFactory, test_image: str) -> Iterator[Server]:
    """A running ``bgtasks serve`` with the test and example images registered.

    Package scope: started once, and stopped after the last e2e test rather than at the very end
    of the session, so it does not keep running (and using CPU) while the other tiers run.
    """
    home = tmp_path_factory.mktemp("e2e") / "home"
    port = free_port()
    env = {
        **clean_environment(),
        "DAGSTER_HOME": str(home),
        "BGTASKS_HOST": "127.0.0.1",
        "BGTASKS_PORT": str(port),
    }
    server = Server(home=home, port=port, env=env)
    try:
        server.start()
        for image in (test_image, HELLO_IMAGE):
            server.services.images.register(image)
        yield server
    finally:
        problems = server.stop()
        from tests.conftest import reset_process_state

        reset_process_state()
    assert not problems, "\n".join(problems) + f"\nserve log:\n{server.log_tail()}"


HELLO_IMAGE = "bgtasks/example-hello:1"
E2E_USER = "e2e-admin"
# A task that prints $MSG, waits until the test touches /tmp/go in its container (at most 60 s),
# then prints $MSG again: lets a test act while the run is certainly running.
GATED = [
    "sh",
    "-c",
    'echo "first=$MSG"; i=0; while [ ! -e /tmp/go ]; do i=$((i+1)); [ $i -gt 600 ] && exit 9; sleep 0.1; done; '
    'echo "second=$MSG"; echo "$MSG" > /bgtasks/output/msg.txt',
]


def build_throwaway_image(docker_client: Any, tag: str) -> str:
    """An image of its own (a new id, not just a tag), built locally from the test image."""
    dockerfile = f"FROM bgtasks/test-tools:1\nLABEL org.bgtasks.e2e={uuid.uuid4().hex}\n"
    image, _logs = docker_client.images.build(fileobj=io.BytesIO(dockerfile.encode()), tag=tag, rm=True)
    return image.id

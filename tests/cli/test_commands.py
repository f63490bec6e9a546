"""The ``bgtasks`` command as users type it.

Bad input runs the real console script in a subprocess, so exit codes and standard error are the
ones a shell sees; each case also checks that nothing changed. Happy paths that only need output
run the same commands in-process with click's CliRunner (each real ``bgtasks`` process spends
seconds importing Dagster). ``bgtasks run`` is run for real: it spawns the run process (no warm
worker here) and starts the task's container.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from bgtasks.errors import Conflict, InvalidInput, NotFound
from tests.conftest import TEST_IMAGE, reset_process_state, write_instance_config
from tests.e2e.conftest import clean_environment, processes_with_home

pytestmark = pytest.mark.docker

BGTASKS = str(Path(sys.executable).parent / "bgtasks")
HELLO_IMAGE = "bgtasks/example-hello:1"
BASE_TASK = "base"
CLI_USER = "cli-user"  # owns the tasks these tests create (BGTASKS_USER)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory, test_image: str) -> Iterator[Path]:
    """An instance set up with the real ``bgtasks init``, the test image and one task."""
    home = tmp_path_factory.mktemp("cli") / "home"
    write_instance_config(home)
    init = bgtasks(home, "init")
    assert init.returncode == 0, init.stderr
    made = bgtasks(home, "users", "create", CLI_USER, "--role", "TASK_EDITOR")
    assert made.returncode == 0, made.stderr
    assert "created launch templates: small, medium, large" in init.stdout
    assert f"instance ready in {home}" in init.stdout
    with cli_environment(home):
        invoke("images", "register", test_image)
        invoke("tasks", "create", BASE_TASK, "--image", test_image, "--command", "echo base")
    yield home
    leftovers = _wait_for_no_processes(home)
    containers = _task_containers(home)
    assert not leftovers, f"processes left running: {leftovers}"
    assert not containers, f"task containers left behind: {containers}"


def bgtasks(home: Path, *args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    """The real console script, in its own process, with DAGSTER_HOME=home."""
    return subprocess.run(
        [BGTASKS, *args],
        env={**clean_environment(), "DAGSTER_HOME": str(home), "BGTASKS_USER": CLI_USER},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


class cli_environment:
    """DAGSTER_HOME=home for in-process invocations, with every per-process cache reset around them."""

    def __init__(self, home: Path) -> None:
        self._patch = pytest.MonkeyPatch()
        self._home = home

    def __enter__(self) -> None:
        for key in [key for key in os.environ if key.startswith("BGTASKS_")]:
            self._patch.delenv(key)
        self._patch.setenv("DAGSTER_HOME", str(self._home))
        self._patch.setenv("BGTASKS_USER", CLI_USER)
        reset_process_state()

    def __exit__(self, *_exc: object) -> None:
        import bgtasks.orchestration.instance as instance_module

        if instance_module._instance is not None:
            instance_module._instance.dispose()
        reset_process_state()
        self._patch.undo()


@pytest.fixture
def in_home(home: Path) -> Iterator[Path]:
    with cli_environment(home):
        yield home


def invoke(*args: str) -> Result:
    """The same command in this process; any error fails the test with its traceback."""
    from bgtasks.cli import cli

    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, f"bgtasks {' '.join(args)} exited {result.exit_code}: {result.output}"
    return result


def listed(*args: str) -> Any:
    return json.loads(invoke(*args, "--json").stdout)


def state() -> dict[str, Any]:
    """Everything a user can list, plus Dagster's task partitions."""
    from bgtasks.orchestration.instance import get_instance

    return {
        "tasks": listed("tasks", "list"),
        "templates": listed("templates", "list"),
        "images": listed("images", "list"),
        "runs": listed("runs", "list"),
        "partitions": sorted(get_instance().get_dynamic_partitions("tasks")),
    }


def _wait_for_no_processes(home: Path, timeout: float = 15) -> list[int]:
    deadline = time.monotonic() + timeout
    while (leftovers := processes_with_home(home)) and time.monotonic() < deadline:
        time.sleep(0.25)
    for pid in leftovers:
        os.kill(pid, signal.SIGKILL)
    return leftovers


def _task_containers(home: Path) -> list[str]:
    import docker

    from bgtasks.execution.container_settings import installation_id

    client = docker.from_env()
    label = f"org.bgtasks.installation={installation_id(home)}"
    containers = client.containers.list(all=True, filters={"label": label})
    for container in containers:
        container.remove(force=True)
    return [container.name for container in containers]


# Bad input: a non-zero exit code, one line on standard error naming the field, nothing changed.

BAD_INPUT = {
    "invalid cron": (
        ["tasks", "create", "t1", "--image", TEST_IMAGE, "--schedule", "61 * * * *"],
        InvalidInput, "schedule", "'61 * * * *' is not a valid cron expression",
    ),
    "unknown template": (
        ["tasks", "create", "t1", "--image", TEST_IMAGE, "--template", "huge"],
        InvalidInput, "template", "unknown launch template 'huge'",
    ),
    "duplicate name": (
        ["tasks", "create", BASE_TASK, "--image", TEST_IMAGE],
        Conflict, "name", f"task '{BASE_TASK}' already exists",
    ),
    "unregistered image": (
        ["tasks", "create", "t1", "--image", "bgtasks/never-registered:1"],
        InvalidInput, "image", "image 'bgtasks/never-registered:1' is not registered",
    ),
    "image the engine lacks": (
        ["images", "register", "bgtasks/not-in-the-engine:1"],
        NotFound, "image", "image 'bgtasks/not-in-the-engine:1' not found in the Docker Engine",
    ),
    "bad environment variable name": (
        ["tasks", "create", "t1", "--image", TEST_IMAGE, "--env", "1ST=x"],
        InvalidInput, "env", "'1ST' is not a valid environment variable name",
    ),
    "owner who is not a bgtasks user": (
        ["tasks", "create", "t1", "--image", TEST_IMAGE, "--owner", "nobody-here"],
        InvalidInput, "owner", "'nobody-here' is not an active bgtasks user",
    ),
    "unknown task for run": (
        ["run", "no-such-task"],
        NotFound, "task", "task 'no-such-task' does not exist",
    ),
    "invalid memory unit": (
        ["templates", "create", "t1", "--cpus", "1", "--memory", "512Qi", "--max-processes", "8",
         "--time-limit", "60"],
        InvalidInput, "memory", "'512Qi' is not a memory size",
    ),
}  # fmt: skip


@pytest.mark.parametrize(("args", "error", "field", "reason"), BAD_INPUT.values(), ids=BAD_INPUT.keys())
def test_bad_input_exits_non_zero_with_one_line_naming_the_field_and_changes_nothing(
    in_home, args, error, field, reason
):
    before = state()

    result = bgtasks(in_home, *args)

    assert result.returncode == error.exit_code, result.stderr
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith(f"error: {field}: {reason}")
    assert state() == before


def test_a_malformed_image_archive_is_refused_and_changes_nothing(in_home, tmp_path):
    archive = tmp_path / "bad.tar"
    archive.write_bytes(b"this is not a docker save archive\n" * 100)
    before = state()

    result = bgtasks(in_home, "images", "upload", str(archive))

    assert result.returncode == InvalidInput.exit_code, result.stderr
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith("error: archive: not a docker save archive")
    assert "docker save NAME:TAG" in result.stderr
    assert state() == before
    assert list((in_home / "uploads").iterdir()) == []  # the streamed copy is gone too


def test_deleting_a_template_in_use_is_refused_naming_the_task(in_home):
    invoke("templates", "create", "busy", "--cpus", "1", "--memory", "256", "--max-processes", "8",
           "--time-limit", "1h")  # fmt: skip
    invoke("tasks", "create", "uses-busy", "--image", TEST_IMAGE, "--template", "busy")
    before = state()

    result = bgtasks(in_home, "templates", "delete", "busy")

    assert result.returncode == Conflict.exit_code
    assert result.stderr.splitlines() == [
        "error: name: launch template 'busy' is used by 1 task(s): uses-busy; move them to another template first"
    ]
    assert state() == before
    invoke("tasks", "delete", "uses-busy")
    invoke("templates", "delete", "busy")


# Happy paths


def test_templates_create_update_list_delete(in_home):
    created = invoke(
        "templates", "create", "tiny", "--cpus", "0.25", "--memory", "64Mi", "--max-processes", "16",
        "--time-limit", "90s", "--env", "LEVEL=debug",
    )  # fmt: skip
    assert created.stdout == "created launch template tiny\n"
    tiny = next(t for t in listed("templates", "list") if t["name"] == "tiny")
    assert (tiny["cpus"], tiny["memory_mib"], tiny["max_processes"], tiny["time_limit_seconds"]) == (
        0.25, 64, 16, 90,
    )  # fmt: skip
    assert (tiny["env"], tiny["network"], tiny["revision"]) == ({"LEVEL": "debug"}, "none", 1)

    updated = invoke("templates", "update", "tiny", "--memory", "1Gi", "--time-limit", "2h")

    assert updated.stdout == "updated launch template tiny (revision 2)\n"
    tiny = json.loads(invoke("templates", "show", "tiny").stdout)
    assert (tiny["memory_mib"], tiny["time_limit_seconds"], tiny["cpus"], tiny["revision"]) == (
        1024, 7200, 0.25, 2,
    )  # fmt: skip
    table = invoke("templates", "list").stdout.splitlines()
    assert table[0].split() == [
        "NAME",
        "CPUS",
        "MEMORY",
        "PROCESSES",
        "TIME",
        "LIMIT",
        "NETWORK",
        "USER",
        "REVISION",
    ]
    assert any(line.split()[:3] == ["tiny", "0.25", "1024"] for line in table[1:])

    assert invoke("templates", "delete", "tiny").stdout == "deleted launch template tiny\n"
    assert "tiny" not in [t["name"] for t in listed("templates", "list")]


def test_images_register_records_the_engines_digest(in_home, docker_engine):
    digest = docker_engine.inspect_image(HELLO_IMAGE).digest

    result = invoke("images", "register", HELLO_IMAGE)

    assert result.stdout == f"registered {HELLO_IMAGE} {digest}\n"
    image = next(i for i in listed("images", "list") if i["reference"] == HELLO_IMAGE)
    assert (image["digest"], image["origin"]) == (digest, "registered")


def test_tasks_create_show_update_delete(in_home, docker_engine):
    from bgtasks.orchestration.instance import get_instance

    created = invoke(
        "tasks", "create", "nightly", "--image", TEST_IMAGE, "--command", "sh -c 'echo $WHO'",
        "--env", "WHO=world", "--schedule", "30 2 * * *", "--timezone", "Europe/Berlin",
    )  # fmt: skip
    digest = docker_engine.inspect_image(TEST_IMAGE).digest
    assert (
        created.stdout.splitlines()[0] == f"created task nightly (image {TEST_IMAGE} pinned at {digest[:19]})"
    )
    assert created.stdout.splitlines()[1].startswith("next run: ")
    assert "nightly" in get_instance().get_dynamic_partitions("tasks")

    shown = json.loads(invoke("tasks", "show", "nightly").stdout)
    assert shown["image_digest"] == digest
    assert shown["command"] == ["sh", "-c", "echo $WHO"]
    assert (shown["env"], shown["template"], shown["revision"]) == ({"WHO": "world"}, "small", 1)
    assert (shown["schedule"], shown["timezone"]) == ("30 2 * * *", "Europe/Berlin")
    assert shown["next_run"].endswith(":30:00 UTC")  # 02:30 Berlin is 00:30 or 01:30 UTC

    updated = invoke(
        "tasks", "update", "nightly", "--env", "WHO=you", "--no-schedule", "--template", "medium"
    )

    assert updated.stdout == "updated task nightly (revision 2)\n"
    shown = json.loads(invoke("tasks", "show", "nightly").stdout)
    assert (shown["env"], shown["template"], shown["revision"]) == ({"WHO": "you"}, "medium", 2)
    assert (shown["schedule"], shown["next_run_at"], shown["image_digest"]) == (None, None, digest)

    assert invoke("tasks", "delete", "nightly").stdout == "deleted task nightly\n"
    assert "nightly" not in [task["name"] for task in listed("tasks", "list")]
    assert "nightly" not in get_instance().get_dynamic_partitions("tasks")


def test_run_waits_and_prints_status_exit_code_and_outputs(in_home):
    script = "echo working; printf 'result 42\\n' > /bgtasks/output/answer.txt"
    invoke("tasks", "create", "answers", "--image", TEST_IMAGE, "--command", f'sh -c "{script}"')

    result = bgtasks(in_home, "run", "answers")

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("run ") and lines[0].endswith(" of task answers: STARTING")
    assert "status: SUCCESS" in lines
    assert "exit code: 0" in lines
    expected = b"result 42\n"
    assert (
        f"output: answer.txt  {len(expected)} bytes  sha256 {hashlib.sha256(expected).hexdigest()}" in lines
    )
    run_id = lines[0].split()[1]
    assert invoke("logs", run_id).stdout == "working\n"


def test_run_of_a_failing_task_exits_one_and_says_why(in_home):
    invoke("tasks", "create", "fails", "--image", TEST_IMAGE, "--command", "sh -c 'echo oops >&2; exit 3'")

    result = bgtasks(in_home, "run", "fails")

    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert "status: FAILURE" in lines
    assert "exit code: 3" in lines
    assert "message: exited with code 3" in lines
    assert "  oops" in lines  # the last log lines follow the message

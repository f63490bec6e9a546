"""The container runner against the real Docker Engine: limits enforced, outputs kept, always cleaned up."""

from __future__ import annotations

import hashlib
import time
from dataclasses import replace

import pytest

from bgtasks.errors import NotFound
from bgtasks.execution.runner import run_container
from bgtasks.execution.spec import RunSpec

pytestmark = pytest.mark.docker
INSTALLATION = "pytest-runner"


@pytest.fixture
def spec(docker_engine, test_image) -> RunSpec:
    return RunSpec(
        task_name="probe",
        task_revision=1,
        image_reference=test_image,
        image_digest=docker_engine.inspect_image(test_image).digest,
        command=["true"],
        env={},
        template_name="t",
        template_revision=1,
        cpus=1.0,
        memory_mib=128,
        max_processes=64,
        time_limit_seconds=60,
        network="none",
        run_as_user="65534:65534",
    )


def run(docker_engine, spec, tmp_path, command, **changes):
    lines: list[str] = []
    run_id = f"pytest-{time.time_ns()}"
    result = run_container(
        docker_engine,
        replace(spec, command=command, **changes),
        run_id,
        tmp_path / run_id,
        lines.append,
        installation=INSTALLATION,
        max_output_bytes=10_000_000,
        stop_grace_seconds=2,
    )
    assert docker_engine.containers_of_run(run_id) == [], "the container must be removed"
    return result, lines, tmp_path / run_id


def test_success_keeps_outputs_with_sha256_and_streams_lines(docker_engine, spec, tmp_path):
    script = 'echo one; echo two >&2; printf "a,b\\n1,2\\n" > $BGTASKS_OUTPUT_DIR/data.csv; echo three'
    result, lines, run_dir = run(docker_engine, spec, tmp_path, ["sh", "-c", script])
    assert result.succeeded and result.exit_code == 0
    # stdout keeps its order; stderr arrives on its own pipe, so only its presence is certain.
    assert sorted(lines) == ["one", "three", "two"]
    assert lines.index("one") < lines.index("three")
    expected = b"a,b\n1,2\n"
    assert [(f.name, f.bytes, f.sha256) for f in result.outputs] == [
        ("data.csv", len(expected), hashlib.sha256(expected).hexdigest())
    ]
    assert (run_dir / "outputs" / "data.csv").read_bytes() == expected
    assert result.duration_seconds > 0


def test_non_zero_exit_is_reported_with_the_last_lines(docker_engine, spec, tmp_path):
    result, _, _ = run(docker_engine, spec, tmp_path, ["sh", "-c", "echo loading; echo 'bad row 7'; exit 3"])
    assert result.exit_code == 3
    assert result.message == "exited with code 3\nlast log lines:\n  loading\n  bad row 7"


def test_memory_limit_kill_is_named_as_such(docker_engine, spec, tmp_path):
    result, _, _ = run(docker_engine, spec, tmp_path, ["memhog", "200"], memory_mib=64)
    assert result.exit_code == 137
    assert result.message.startswith("killed: exceeded memory limit 64 MiB")
    assert result.peak_memory_bytes == 64 * 1024 * 1024


def test_time_limit_stops_the_container(docker_engine, spec, tmp_path):
    started = time.monotonic()
    result, _, _ = run(
        docker_engine, spec, tmp_path, ["sh", "-c", "echo waiting; sleep 120"], time_limit_seconds=2
    )
    assert time.monotonic() - started < 15
    assert result.message.startswith("killed: time limit 2 s reached")
    assert "waiting" in result.message


def test_cpu_quota_of_a_quarter_core_slows_a_busy_loop(docker_engine, spec, tmp_path):
    # cpuacct.usage is the container's own CPU time in ns (cgroup v1, as Docker 20.10 mounts it).
    script = (
        "a=$(cat /sys/fs/cgroup/cpuacct/cpuacct.usage); busyloop 3; "
        "b=$(cat /sys/fs/cgroup/cpuacct/cpuacct.usage); echo cpu_ns $((b - a))"
    )

    def busy(cpus: float) -> tuple[int, float]:
        result, lines, _ = run(docker_engine, spec, tmp_path, ["sh", "-c", script], cpus=cpus)
        assert result.succeeded, result.message
        iterations = int(lines[-2].split()[1])  # "busyloop: N iterations in 3s"
        cores_used = int(lines[-1].split()[1]) / 3e9
        return iterations, cores_used

    full_iterations, full_cores = busy(1.0)
    quarter_iterations, quarter_cores = busy(0.25)
    assert quarter_cores <= 0.30, f"the quota let the loop use {quarter_cores:.2f} cores"
    if full_cores >= 0.5:  # the machine gave the unlimited loop at least twice the quota: it must show
        assert quarter_iterations < full_iterations * 0.75, (full_iterations, quarter_iterations, full_cores)


def test_container_has_no_privileges_capabilities_network_or_docker_socket(docker_engine, spec, tmp_path):
    script = (
        "id -u; grep -E '^(CapEff|NoNewPrivs)' /proc/self/status; "
        "ls /var/run/docker.sock 2>&1 | head -1; ls /sys/class/net; cat /sys/fs/cgroup/pids/pids.max"
    )
    result, lines, _ = run(docker_engine, spec, tmp_path, ["sh", "-c", script], max_processes=42)
    assert result.succeeded, result.message
    assert lines[0] == "65534"
    assert lines[1].split() == ["CapEff:", "0000000000000000"]
    assert lines[2].split() == ["NoNewPrivs:", "1"]
    assert "No such file or directory" in lines[3]
    assert lines[4:-1] == ["lo"]
    assert lines[-1] == "42"


def test_process_limit_is_enforced(docker_engine, spec, tmp_path):
    script = "for i in $(seq 1 40); do sleep 5 & done 2>&1 | tail -1; wait; echo done"
    _, lines, _ = run(docker_engine, spec, tmp_path, ["sh", "-c", script], max_processes=10)
    assert any("can't fork" in line or "Resource temporarily unavailable" in line for line in lines), lines


def test_missing_image_is_named(docker_engine, spec, tmp_path):
    with pytest.raises(NotFound) as raised:
        run(docker_engine, spec, tmp_path, ["true"], image_digest="sha256:" + "0" * 64)
    assert "not found" in raised.value.message


def test_interrupt_stops_and_removes_the_container(docker_engine, spec, tmp_path):
    seen: list[str] = []
    run_id = f"pytest-{time.time_ns()}"

    def interrupt_on_first_line(line: str) -> None:
        seen.append(line)
        raise KeyboardInterrupt  # what a terminated run raises into the op

    with pytest.raises(KeyboardInterrupt):
        run_container(
            docker_engine,
            replace(spec, command=["sh", "-c", "echo started; sleep 300"]),
            run_id,
            tmp_path / run_id,
            interrupt_on_first_line,
            installation=INSTALLATION,
            max_output_bytes=1000,
            stop_grace_seconds=1,
        )
    assert seen == ["started"]
    assert docker_engine.containers_of_run(run_id) == []

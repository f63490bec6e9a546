"""Run one task container to the end: limits, live log lines, time limit, outputs, clean-up.

``run_container`` is what the Dagster op calls. The container is removed in every case: success,
failure, time limit, and an interrupt (a run terminated from the UI raises into this function).
"""

from __future__ import annotations

import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bgtasks.execution.container_settings import container_create_kwargs
from bgtasks.execution.engine import Container, DockerEngine
from bgtasks.execution.exits import ExitFacts, explain_exit
from bgtasks.execution.outputs import OutputFile, empty_output_dir_archive, extract_outputs
from bgtasks.execution.spec import OUTPUT_DIR, RunSpec

TAIL_LINES = 20
_EOF = object()


@dataclass
class ContainerResult:
    exit_code: int | None
    duration_seconds: float
    peak_memory_bytes: int | None
    outputs: list[OutputFile] = field(default_factory=list)
    skipped_outputs: list[str] = field(default_factory=list)
    message: str | None = None  # None on success, else why it failed
    last_lines: list[str] = field(default_factory=list)

    @property
    def succeeded(self) -> bool:
        return self.message is None


def split_lines(chunks: Iterator[bytes]) -> Iterator[str]:
    """Decoded lines from arbitrary byte chunks; a final line without newline is kept."""
    pending = b""
    for chunk in chunks:
        pending += chunk
        *complete, pending = pending.split(b"\n")
        for line in complete:
            yield line.rstrip(b"\r").decode("utf-8", errors="replace")
    if pending:
        yield pending.decode("utf-8", errors="replace")


class _PeakMemory:
    """Samples the container's memory in a thread and keeps the highest figure seen.

    On cgroup v1 each sample carries the cgroup's high-water mark (``max_usage``), so the last sample
    before exit is the true peak; samples start fast (50 ms) for short tasks and slow down to 2 s.
    """

    def __init__(self, container: Container) -> None:
        self.peak: int | None = None
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._follow, args=(container,), daemon=True)
        self._thread.start()

    def _follow(self, container: Container) -> None:
        delay = 0.05
        while not self._stopped.is_set():
            try:
                memory = container.stats_once().get("memory_stats") or {}
            except Exception:
                return  # the container is gone; a failure here only costs the figure
            usage = max(int(memory.get("max_usage") or 0), int(memory.get("usage") or 0))
            if usage:
                self.peak = max(self.peak or 0, usage)
            self._stopped.wait(delay)
            delay = min(delay * 2, 2.0)

    def stop(self) -> None:
        self._stopped.set()


def _pump_lines(container: Container, lines: queue.Queue) -> None:
    try:
        for line in split_lines(container.log_chunks()):
            lines.put(line)
    finally:
        lines.put(_EOF)


def prepare_container(engine: DockerEngine, spec: RunSpec, run_id: str, installation: str) -> Container:
    """Create the container of ``spec``, not started, with an empty writable /bgtasks/output."""
    if spec.network == "bridge":
        engine.ensure_task_network()
    container = engine.create_container(container_create_kwargs(spec, run_id, installation))
    try:
        container.put_archive("/", empty_output_dir_archive())
    except BaseException:
        container.remove()
        raise
    return container


def run_container(
    engine: DockerEngine,
    spec: RunSpec,
    run_id: str,
    run_dir: Path,
    on_line: Callable[[str], None],
    *,
    installation: str,
    max_output_bytes: int,
    stop_grace_seconds: int = 10,
    prepared: Container | None = None,
) -> ContainerResult:
    """Start and follow the container of ``spec`` (``prepared`` ahead of time, or created now);
    collect its outputs into ``run_dir``."""
    container = prepared or prepare_container(engine, spec, run_id, installation)
    tail: deque[str] = deque(maxlen=TAIL_LINES)
    timed_out = False
    try:
        started = time.monotonic()
        container.start()
        deadline = started + spec.time_limit_seconds
        memory = _PeakMemory(container)
        lines: queue.Queue = queue.Queue()
        threading.Thread(target=_pump_lines, args=(container, lines), daemon=True).start()
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 and not timed_out:
                timed_out = True
                container.stop(grace_seconds=min(stop_grace_seconds, 5))
                continue
            try:
                line = lines.get(timeout=max(0.05, min(0.5, remaining)) if not timed_out else 0.5)
            except queue.Empty:
                continue
            if line is _EOF:
                break
            tail.append(line)
            on_line(line)
        exit_code = container.wait(timeout=60)
        memory.stop()
        duration = time.monotonic() - started
        # Only a failed exit needs the engine's verdict (OOM kill); success skips one API call.
        oom_killed = exit_code != 0 and container.state().oom_killed
        collected = extract_outputs(container.archive(OUTPUT_DIR), run_dir / "outputs", max_output_bytes)
        facts = ExitFacts(
            exit_code=exit_code,
            oom_killed=oom_killed,
            timed_out=timed_out,
            terminated=False,
            memory_mib=spec.memory_mib,
            time_limit_seconds=spec.time_limit_seconds,
        )
        return ContainerResult(
            exit_code=exit_code,
            duration_seconds=duration,
            # An OOM kill can come between two stats samples; the cgroup did reach its limit.
            peak_memory_bytes=spec.memory_mib * 1024 * 1024 if oom_killed else memory.peak,
            outputs=collected.files,
            skipped_outputs=collected.skipped,
            message=explain_exit(facts, list(tail)),
            last_lines=list(tail),
        )
    except BaseException:
        # An interrupt (run terminated) or any failure: give the task its grace period, then go.
        container.stop(grace_seconds=stop_grace_seconds)
        raise
    finally:
        container.remove()

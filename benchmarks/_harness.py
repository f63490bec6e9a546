"""Shared set-up for benchmarks: a throwaway bgtasks instance in a temp directory."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


@contextmanager
def temp_instance_home() -> Iterator[Path]:
    """A fresh DAGSTER_HOME with the project's dagster.yaml, set for this process and its children."""
    home = Path(tempfile.mkdtemp(prefix="bgtasks-bench-"))
    shutil.copy(PROJECT_ROOT / "dagster.yaml", home / "dagster.yaml")
    os.environ["DAGSTER_HOME"] = str(home)
    os.environ["BGTASKS_WORKER_SOCKET"] = str(home / "worker.sock")
    try:
        yield home
    finally:
        shutil.rmtree(home, ignore_errors=True)


@contextmanager
def warm_worker(home: Path) -> Iterator[subprocess.Popen]:
    from bgtasks.orchestration.worker_client import WorkerUnavailable, ask_worker

    process = subprocess.Popen(
        [str(BIN / "bgtasks"), "worker"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            ask_worker(home / "worker.sock", {"op": "ping"}, timeout=2)
            break
        except (WorkerUnavailable, OSError):
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the warm run worker did not start") from None
            time.sleep(0.2)
    try:
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)


def median(values: list[float]) -> float:
    return statistics.median(values)


def require_image(reference: str) -> None:
    if subprocess.run(["docker", "image", "inspect", reference], capture_output=True).returncode != 0:
        raise SystemExit(f"image {reference} is missing: run scripts/setup.sh first")

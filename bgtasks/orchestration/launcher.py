"""The run launcher: hands each run to the warm run worker, or spawns a run process when none runs.

Dagster's DefaultRunLauncher starts a new ``dagster api execute_run`` process per run, which spends
about 1.5 s importing Dagster and the code before the task's container starts. The warm worker
(``bgtasks worker``) has both imported already and forks a child per run, running the same body.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Mapping
from typing import Any, Self

from dagster import DagsterRun
from dagster._core.launcher import CheckRunHealthResult, LaunchRunContext, RunLauncher, WorkerStatus
from dagster._grpc.types import ExecuteRunArgs
from dagster._serdes import ConfigurableClass, ConfigurableClassData, serialize_value

from bgtasks.orchestration.tags import LAUNCHER_TAG, PID_TAG
from bgtasks.orchestration.worker_client import WorkerUnavailable, ask_worker
from bgtasks.settings import get_settings


class WarmRunLauncher(RunLauncher, ConfigurableClass):
    def __init__(self, inst_data: ConfigurableClassData | None = None) -> None:
        self._inst_data = inst_data
        self._spawned: dict[str, subprocess.Popen] = {}
        super().__init__()

    @property
    def inst_data(self) -> ConfigurableClassData | None:
        return self._inst_data

    @classmethod
    def config_type(cls) -> dict:
        return {}

    @classmethod
    def from_config_value(cls, inst_data: ConfigurableClassData, config_value: Mapping[str, Any]) -> Self:
        return cls(inst_data=inst_data)

    def launch_run(self, context: LaunchRunContext) -> None:
        self._reap_spawned()
        run = context.dagster_run
        socket_path = get_settings().worker_socket_path
        try:
            answer = ask_worker(socket_path, {"op": "launch", "run_id": run.run_id})
        except WorkerUnavailable:
            self._spawn(run)
            return
        if not answer.get("ok"):
            raise RuntimeError(f"the warm run worker refused run {run.run_id}: {answer.get('error')}")
        self._instance.add_run_tags(run.run_id, {LAUNCHER_TAG: "warm", PID_TAG: str(answer["pid"])})

    def _spawn(self, run: DagsterRun) -> None:
        args = ExecuteRunArgs(
            job_origin=run.job_code_origin,  # type: ignore[arg-type]
            run_id=run.run_id,
            instance_ref=self._instance.get_ref(),
        )
        # The run process's own output goes to a file beside the run's outputs, not to whoever
        # launched it (a CLI's terminal); the run's events go to Dagster's event log as usual.
        log_dir = get_settings().runs_root / run.run_id
        log_dir.mkdir(parents=True, exist_ok=True)
        with (log_dir / "process.log").open("ab") as log_file:
            process = subprocess.Popen(
                [sys.executable, "-m", "dagster", "api", "execute_run", serialize_value(args)],
                start_new_session=True,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )
        self._spawned[run.run_id] = process
        self._instance.add_run_tags(run.run_id, {LAUNCHER_TAG: "spawn", PID_TAG: str(process.pid)})
        self._instance.report_engine_event(
            f"No warm run worker at {get_settings().worker_socket_path}: started run process {process.pid}.",
            run,
            cls=self.__class__,
        )

    def _reap_spawned(self) -> None:
        """Collect run processes this process spawned that have exited (no zombies left behind)."""
        for run_id, process in list(self._spawned.items()):
            if process.poll() is not None:
                del self._spawned[run_id]

    def terminate(self, run_id: str) -> bool:
        run = self._instance.get_run_by_id(run_id)
        if run is None or run.is_finished:
            return False
        self._instance.report_run_canceling(run)
        if run.tags.get(LAUNCHER_TAG) == "warm":
            try:
                return bool(
                    ask_worker(get_settings().worker_socket_path, {"op": "terminate", "run_id": run_id})["ok"]
                )
            except WorkerUnavailable:
                pass
        pid = run.tags.get(PID_TAG)
        if pid is None:
            return False
        try:
            os.kill(int(pid), signal.SIGTERM)  # Dagster maps SIGTERM to an interrupt of the step
        except ProcessLookupError:
            return False
        return True

    @property
    def supports_check_run_worker_health(self) -> bool:
        return True

    def check_run_worker_health(self, run: DagsterRun) -> CheckRunHealthResult:
        if run.tags.get(LAUNCHER_TAG) == "warm":
            try:
                answer = ask_worker(get_settings().worker_socket_path, {"op": "health", "run_id": run.run_id})
            except WorkerUnavailable:
                return CheckRunHealthResult(WorkerStatus.UNKNOWN, "the warm run worker does not answer")
            return CheckRunHealthResult(WorkerStatus[answer["status"]], answer.get("message"))
        process = self._spawned.get(run.run_id)
        if process is not None:
            code = process.poll()
            if code is None:
                return CheckRunHealthResult(WorkerStatus.RUNNING)
            return CheckRunHealthResult(WorkerStatus.FAILED, f"run process exited with code {code}")
        pid = run.tags.get(PID_TAG)
        if pid is None:
            return CheckRunHealthResult(WorkerStatus.UNKNOWN, "no run process recorded")
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return CheckRunHealthResult(WorkerStatus.NOT_FOUND, f"run process {pid} is gone")
        return CheckRunHealthResult(WorkerStatus.RUNNING)

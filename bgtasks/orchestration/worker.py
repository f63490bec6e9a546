"""The warm run worker: a long-lived process with Dagster and the code location already imported.

For each run the launcher sends, it forks a child that runs exactly what ``dagster api execute_run``
runs. The fork costs milliseconds where a new Python process costs about 1.5 s of imports.

The worker is single-threaded (forking a threaded process is unsafe) and owns its children:
- it answers ``launch``, ``terminate`` and ``health`` requests on a Unix socket;
- it reaps children, and marks a run failed when its child died before finishing it;
- it removes task containers whose run is over (a killed child cannot clean up after itself);
- it keeps the run -> pid map on disk, so a restarted worker still terminates earlier runs.
"""

from __future__ import annotations

import json
import logging
import os
import selectors
import signal
import socket
import time
from pathlib import Path
from typing import Any

from dagster import DagsterInstance, DagsterRunStatus

from bgtasks.execution import prepared

log = logging.getLogger("bgtasks.worker")
REAP_CONTAINERS_EVERY_SECONDS = 15.0


def _preload_code() -> None:
    """Import what every run needs, once, before any fork."""
    import dagster._cli.api  # noqa: F401  the run body
    import docker  # noqa: F401

    import bgtasks.orchestration.definitions  # noqa: F401  the code location: job, op, sensors
    import prebuilt_assets.definitions  # noqa: F401  the prebuilt fetchers' code location


def _prewarm_storage(instance: DagsterInstance) -> None:
    """Open each storage once before any fork, so children inherit it ready.

    On SQLite, Dagster checks a database's schema (parsing its Alembic scripts, ~0.3 s) the first
    time a process connects to it; done here once, forked children skip it.
    """
    instance.get_runs_count()
    instance.event_log_storage.get_maximum_record_id()


class RunWorker:
    def __init__(self, instance: DagsterInstance, socket_path: Path) -> None:
        self._instance = instance
        self._socket_path = socket_path
        self._state_file = socket_path.with_suffix(".runs.json")
        self._children: dict[str, int] = self._load_state()
        self._last_container_sweep = 0.0
        self._stopping = False

    # State kept on disk so a restarted worker can still find earlier runs' processes.

    def _load_state(self) -> dict[str, int]:
        try:
            saved = json.loads(self._state_file.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return {}
        return {run_id: pid for run_id, pid in saved.items() if _alive(pid)}

    def _save_state(self) -> None:
        temporary = self._state_file.with_suffix(".tmp")
        temporary.write_text(json.dumps(self._children))
        temporary.replace(self._state_file)

    # Serving

    def serve_forever(self) -> None:
        _preload_code()
        _prewarm_storage(self._instance)
        self._socket_path.parent.mkdir(parents=True, exist_ok=True)
        self._socket_path.unlink(missing_ok=True)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(str(self._socket_path))
        os.chmod(self._socket_path, 0o600)  # only this user may launch runs through it
        listener.listen(64)
        listener.setblocking(False)
        selector = selectors.DefaultSelector()
        selector.register(listener, selectors.EVENT_READ)
        signal.signal(signal.SIGTERM, self._request_stop)
        signal.signal(signal.SIGINT, self._request_stop)
        log.info("warm run worker listening at %s (pid %s)", self._socket_path, os.getpid())
        try:
            while not self._stopping:
                for _key, _events in selector.select(timeout=0.5):
                    self._answer(listener)
                self._reap_children()
                self._sweep_containers()
        finally:
            selector.close()
            listener.close()
            self._socket_path.unlink(missing_ok=True)
            self._stop_children()

    def _request_stop(self, _signo: int, _frame: Any) -> None:
        self._stopping = True

    def _answer(self, listener: socket.socket) -> None:
        try:
            connection, _ = listener.accept()
        except BlockingIOError:
            return
        with connection:
            connection.settimeout(5)
            data = b""
            while not data.endswith(b"\n"):
                chunk = connection.recv(65536)
                if not chunk:
                    break
                data += chunk
            try:
                answer = self._handle(json.loads(data))
            except Exception as exc:  # a bad request must not stop the worker
                log.exception("request failed")
                answer = {"ok": False, "error": f"{exc.__class__.__name__}: {exc}"}
            connection.sendall(json.dumps(answer).encode() + b"\n")

    def _handle(self, request: dict[str, Any]) -> dict[str, Any]:
        operation, run_id = request.get("op"), str(request.get("run_id", ""))
        if operation == "launch":
            return {"ok": True, "pid": self._fork_run(run_id)}
        if operation == "terminate":
            pid = self._children.get(run_id)
            if pid is None:
                return {"ok": False, "error": f"run {run_id} is not running here"}
            os.kill(pid, signal.SIGTERM)
            return {"ok": True}
        if operation == "health":
            pid = self._children.get(run_id)
            if pid is not None and _alive(pid):
                return {"ok": True, "status": "RUNNING"}
            return {"ok": True, "status": "NOT_FOUND", "message": f"no process for run {run_id}"}
        if operation == "ping":
            return {"ok": True, "pid": os.getpid(), "runs": len(self._children)}
        return {"ok": False, "error": f"unknown operation {operation!r}"}

    # Runs

    def _fork_run(self, run_id: str) -> int:
        pid = os.fork()
        if pid == 0:  # the child: never returns
            code = 1
            try:
                code = _run_in_child(run_id, self._instance)
            finally:
                os._exit(code)
        self._children[run_id] = pid
        self._save_state()
        return pid

    def _reap_children(self) -> None:
        finished = []
        for run_id, pid in self._children.items():
            try:
                waited, status = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:  # not our child (worker restarted): poll liveness instead
                if _alive(pid):
                    continue
                waited, status = pid, 0
            if waited == 0:
                continue
            finished.append(run_id)
            self._fail_if_unfinished(run_id, pid, status)
        for run_id in finished:
            del self._children[run_id]
        if finished:
            self._save_state()

    def _fail_if_unfinished(self, run_id: str, pid: int, status: int) -> None:
        run = self._instance.get_run_by_id(run_id)
        if run is None or run.is_finished:
            return
        how = (
            f"signal {os.WTERMSIG(status)}"
            if os.WIFSIGNALED(status)
            else f"code {os.waitstatus_to_exitcode(status)}"
        )
        self._remove_containers_of(run_id)  # first: once the run shows as ended, nothing is left
        if run.status == DagsterRunStatus.CANCELING:
            # Terminated before Dagster's own handler was in place (the run was still starting).
            self._instance.report_run_canceled(run, f"run process {pid} ended ({how}) on termination")
        else:
            self._instance.report_run_failed(run, f"run process {pid} ended ({how}) before the run finished")

    def _remove_containers_of(self, run_id: str) -> None:
        from bgtasks.services import services_for

        docker_engine = services_for(self._instance).docker
        for container_id in docker_engine.containers_of_run(run_id):
            docker_engine.remove_container(container_id)

    def _sweep_containers(self) -> None:
        """Remove this installation's task containers whose run is over."""
        now = time.monotonic()
        if now - self._last_container_sweep < REAP_CONTAINERS_EVERY_SECONDS:
            return
        self._last_container_sweep = now
        from bgtasks.services import services_for

        try:
            docker_engine = services_for(self._instance).docker
            for container in docker_engine.managed_containers(installation=_installation_id()):
                run = self._instance.get_run_by_id(container.run_id)
                if run is None or run.is_finished:
                    log.warning(
                        "removing container %s of finished run %s", container.id[:12], container.run_id
                    )
                    docker_engine.remove_container(container.id)
        except Exception:
            log.exception("container sweep failed")

    def _stop_children(self) -> None:
        """On shutdown, terminate running runs (they are marked canceled) and wait for them briefly."""
        for run_id, pid in self._children.items():
            run = self._instance.get_run_by_id(run_id)
            if run is not None and not run.is_finished:
                self._instance.report_run_canceling(run, message="the warm run worker is shutting down")
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 20
        while self._children and time.monotonic() < deadline:
            self._reap_children()
            time.sleep(0.2)


def _installation_id() -> str:
    from bgtasks.execution.container_settings import installation_id
    from bgtasks.settings import get_settings

    return installation_id(get_settings().home)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _run_in_child(run_id: str, instance: DagsterInstance) -> int:
    """What ``dagster api execute_run`` does, in a forked child of the warm worker.

    The child keeps the parent's instance: building one from dagster.yaml costs ~0.4 s, and Dagster's
    storages open a new connection per use (NullPool), so no connection is shared across the fork.
    """
    os.setsid()  # a Ctrl-C meant for the worker's terminal does not hit runs directly
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    from dagster._cli.api import _execute_run_command_body
    from dagster._utils.interrupts import capture_interrupts

    from bgtasks.services import forget_services

    forget_services()  # the parent's database connections are not ours to use
    _prepare_container(instance, run_id)
    try:
        with capture_interrupts():
            return _execute_run_command_body(
                run_id, instance, lambda _event: None, set_exit_code_on_failure=False
            )
    finally:
        prepared.discard_untaken()


def _prepare_container(instance: DagsterInstance, run_id: str) -> None:
    """Create the run's container while Dagster starts the run (see bgtasks.execution.prepared)."""
    from bgtasks.execution.container_settings import installation_id
    from bgtasks.execution.runner import prepare_container
    from bgtasks.services import services_for

    services = services_for(instance)
    record = services.runs.find(run_id)
    if record is None:
        return  # not a pinned task run (a prebuilt job): nothing to prepare
    installation = installation_id(services.settings.home)
    prepared.prepare_in_background(
        run_id, lambda: prepare_container(services.docker, record.spec, run_id, installation)
    )

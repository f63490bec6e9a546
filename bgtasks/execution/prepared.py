"""Containers created ahead of their step, while Dagster is still setting the run up.

The warm worker's child knows the run's pinned spec the moment it is forked; creating the container
(and its output directory) takes the engine ~0.15 s, which can overlap Dagster's own start-up of the
run. The op takes the prepared container if there is one, and creates it itself otherwise.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from bgtasks.execution.engine import Container

_lock = threading.Lock()
_pending: dict[str, _Preparation] = {}


class _Preparation:
    def __init__(self, create: Callable[[], Container]) -> None:
        self.container: Container | None = None
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(create,), daemon=True)
        self._thread.start()

    def _run(self, create: Callable[[], Container]) -> None:
        try:
            self.container = create()
        except BaseException as exc:  # the op retries itself and reports the error properly
            self.error = exc

    def wait(self) -> Container | None:
        self._thread.join()
        return self.container


def prepare_in_background(run_id: str, create: Callable[[], Container]) -> None:
    with _lock:
        _pending[run_id] = _Preparation(create)


def take(run_id: str) -> Container | None:
    """The container prepared for ``run_id``, once; None if none was prepared or preparing failed."""
    with _lock:
        preparation = _pending.pop(run_id, None)
    return preparation.wait() if preparation else None


def discard_untaken() -> None:
    """Remove containers prepared for steps that never ran (a run canceled before its step)."""
    with _lock:
        leftovers = list(_pending.values())
        _pending.clear()
    for preparation in leftovers:
        container = preparation.wait()
        if container is not None:
            container.remove()

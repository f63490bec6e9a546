"""Progress lines (bytes, rows) for the Dagster log, at most one every few seconds."""

from __future__ import annotations

import time
from collections.abc import Callable


class ProgressLog:
    """Throttled progress for one source; call ``bytes``/``rows`` as often as you like."""

    def __init__(self, source: str, log: Callable[[str], None], every_seconds: float = 5.0) -> None:
        self.source = source
        self._log = log
        self._every = every_seconds
        self._last = 0.0

    def bytes(self, done: int, total: int | None) -> None:
        if self._due(done == total):
            of = f" of {_mb(total)}" if total else ""
            self._log(f"{self.source}: downloaded {_mb(done)}{of}")

    def rows(self, done: int) -> None:
        if self._due(False):
            self._log(f"{self.source}: parsed {done:,} rows")

    def _due(self, final: bool) -> bool:
        now = time.monotonic()
        if final or now - self._last >= self._every:
            self._last = now
            return True
        return False


def _mb(n: int | None) -> str:
    return f"{(n or 0) / 1_000_000:,.1f} MB"

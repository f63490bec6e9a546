"""Time, in one place, so tests can pin it."""

from __future__ import annotations

import time
from datetime import UTC, datetime


def utcnow() -> datetime:
    """Naive UTC: SQLite keeps no time zone, so every stored datetime is UTC without one."""
    return datetime.now(UTC).replace(tzinfo=None)


def epoch() -> float:
    return time.time()

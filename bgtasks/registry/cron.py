"""Cron expressions with Dagster's own semantics (including its daylight-saving rules)."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from dagster._utils.schedules import cron_string_iterator, is_valid_cron_string


def check_cron(value: str) -> str:
    """Return ``value`` when Dagster accepts it as a five-field cron expression."""
    if not is_valid_cron_string(value):
        raise ValueError(
            f"{value!r} is not a valid cron expression: use five fields, minute hour day month weekday "
            "(for example '0 6 * * 1-5')"
        )
    return value


def next_fire_after(cron: str, timezone: str, after: float) -> float:
    """Epoch seconds of the first fire time of ``cron`` in ``timezone`` strictly after ``after``."""
    # Dagster's iterator yields times >= its start; start one second later for "strictly after".
    # Cache on the whole minute: most calls for one schedule in one tick share it.
    minute = int(after // 60) * 60
    first = _first_fire_at_or_after(cron, timezone, minute)
    if first > after:
        return first
    return _first_fire_at_or_after(cron, timezone, int(after) + 1)


@lru_cache(maxsize=65536)
def _first_fire_at_or_after(cron: str, timezone: str, start: int) -> float:
    iterator = cron_string_iterator(float(start), cron, timezone)
    return next(iterator).timestamp()


def fire_times_between(cron: str, timezone: str, after: float, until: float) -> list[datetime]:
    """Every fire time in (after, until], oldest first; used to tell how many ticks were missed."""
    times: list[datetime] = []
    for moment in cron_string_iterator(after + 1, cron, timezone):
        if moment.timestamp() > until:
            break
        times.append(moment)
    return times

"""Cron semantics are Dagster's, including daylight-saving transitions."""

from datetime import datetime
from zoneinfo import ZoneInfo

from bgtasks.registry.cron import fire_times_between, next_fire_after

BERLIN = ZoneInfo("Europe/Berlin")


def at(text: str, zone=BERLIN) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=zone).timestamp()


def test_next_fire_is_strictly_after_and_in_the_tasks_time_zone():
    six_berlin = at("2026-12-04T06:00")
    assert next_fire_after("0 6 * * *", "Europe/Berlin", at("2026-12-03T07:00")) == six_berlin
    # exactly at a fire time, the next one is a day later
    assert next_fire_after("0 6 * * *", "Europe/Berlin", six_berlin) == at("2026-12-05T06:00")


def test_daily_time_skipped_by_spring_forward_runs_once_that_day():
    # 2027-03-28: Berlin clocks jump 02:00 -> 03:00; Dagster runs a 02:30 schedule at 03:00.
    fired = next_fire_after("30 2 * * *", "Europe/Berlin", at("2027-03-27T12:00"))
    assert datetime.fromtimestamp(fired, BERLIN).date().isoformat() == "2027-03-28"
    assert datetime.fromtimestamp(fired, BERLIN).hour == 3


def test_daily_time_repeated_by_fall_back_runs_once():
    # 2026-10-25: 02:30 happens twice in Berlin; a daily schedule fires once.
    times = fire_times_between("30 2 * * *", "Europe/Berlin", at("2026-10-24T12:00"), at("2026-10-26T00:00"))
    assert len(times) == 1


def test_fire_times_between_lists_every_missed_time():
    times = fire_times_between(
        "*/15 * * * *",
        "UTC",
        at("2026-12-03T10:00", ZoneInfo("UTC")),
        at("2026-12-03T11:00", ZoneInfo("UTC")),
    )
    assert [t.strftime("%H:%M") for t in times] == ["10:15", "10:30", "10:45", "11:00"]

"""Registry scale: does creating a task, and evaluating every schedule, stay fast as tasks grow?

For each size (a 100-task baseline, then 1,000 and 10,000 tasks, half of them scheduled) in a fresh
instance on the embedded SQLite storage:
- create one more task, until it is visible (its partition is in Dagster's storage, where the UI and
  the daemon read it) and launchable (a run of it is created, pinned and submitted);
- one tick of the schedule dispatcher with nothing due, and with 1% of the tasks due at once;
- the next fire time of every scheduled task computed once (the work a per-schedule scheduler does).
Each figure is printed with its ratio to the 100-task baseline measured in the same run.

    .venv/bin/python benchmarks/registry_scale.py [--sizes 1000 10000]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from _harness import require_image, temp_instance_home

IMAGE = "bgtasks/busybox:1.35"
BASELINE = 100
TIMEZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo"]
TARGET_VISIBLE_SECONDS = 3.0
TARGET_EVALUATE_SECONDS = 2.0


def bulk_register(services, instance, count: int) -> None:
    """Insert ``count`` tasks directly (set-up, not measured), half with a cron schedule."""
    from bgtasks.db.tables import launch_templates, tasks
    from bgtasks.registry.clock import utcnow
    from bgtasks.registry.cron import next_fire_after

    image = services.images.register(IMAGE)
    rng = random.Random(count)
    now, stamp = time.time(), utcnow()
    with services.engine.begin() as connection:
        template_id = (
            connection.execute(launch_templates.select().where(launch_templates.c.name == "small")).one().id
        )
        rows = []
        for index in range(count):
            scheduled = index % 2 == 0
            cron = f"{rng.randrange(60)} {rng.randrange(24)} * * *" if scheduled else None
            timezone = rng.choice(TIMEZONES)
            rows.append(
                {
                    "name": f"task-{index:05d}",
                    "description": "",
                    "image_reference": image.reference,
                    "image_digest": image.digest,
                    "command": ["true"],
                    "env": {},
                    "template_id": template_id,
                    "schedule": cron,
                    "timezone": timezone,
                    "run_after": None,
                    "enabled": True,
                    "owner": "bench",
                    "revision": 1,
                    "next_run_at": next_fire_after(cron, timezone, now) if cron else None,
                    "created_at": stamp,
                    "updated_at": stamp,
                }
            )
        connection.execute(tasks.insert(), rows)
    instance.add_dynamic_partitions("tasks", [row["name"] for row in rows])


def time_create_visible_launchable(services, instance, workspace, name: str) -> float:
    from bgtasks.orchestration.launch import launch_task

    started = time.perf_counter()
    services.tasks.create(
        {"name": name, "image": IMAGE, "command": ["true"], "schedule": "*/5 * * * *"}, owner="bench"
    )
    assert instance.has_dynamic_partition("tasks", name)
    run = launch_task(instance, workspace, name)
    elapsed = time.perf_counter() - started
    assert run.tags["bgtasks/task"] == name and services.runs.find(run.run_id) is not None
    return elapsed


def time_tick(instance) -> float:
    from dagster import build_sensor_context

    from bgtasks.orchestration.sensors import task_schedules_sensor

    started = time.perf_counter()
    task_schedules_sensor(build_sensor_context(instance=instance))
    return time.perf_counter() - started


def make_due(services, fraction: float) -> int:
    """Move the next fire time of ``fraction`` of the scheduled tasks into the past."""
    from bgtasks.db.tables import tasks

    with services.engine.begin() as connection:
        ids = connection.execute(tasks.select().where(tasks.c.schedule.is_not(None))).all()
        chosen = [row.id for row in ids[: max(1, int(len(ids) * fraction))]]
        connection.execute(tasks.update().where(tasks.c.id.in_(chosen)).values(next_run_at=time.time() - 30))
    return len(chosen)


def time_all_schedules(services) -> float:
    from bgtasks.registry.cron import _first_fire_at_or_after, next_fire_after

    _first_fire_at_or_after.cache_clear()
    scheduled = [task for task in services.tasks.list() if task.schedule]
    now = time.time()
    started = time.perf_counter()
    for task in scheduled:
        next_fire_after(task.schedule, task.timezone, now)
    return time.perf_counter() - started


def measure(count: int, repeats: int) -> dict[str, float]:
    with temp_instance_home():
        from tests_support import fresh_process_state

        fresh_process_state()
        from bgtasks.orchestration.instance import get_instance
        from bgtasks.orchestration.launch import in_process_workspace
        from bgtasks.services import services_for

        instance = get_instance()
        # Runs are only submitted here, never started: no run worker, no queue room.
        instance.run_coordinator._max_concurrent_runs = 0
        services = services_for(instance)
        services.templates.seed_defaults()
        bulk_register(services, instance, count)
        with in_process_workspace(instance) as workspace:
            create = [
                time_create_visible_launchable(services, instance, workspace, f"extra-{i}")
                for i in range(repeats)
            ]
        idle = [time_tick(instance) for _ in range(repeats)]
        due = make_due(services, 0.01)
        burst = time_tick(instance)
        evaluate = statistics.median(time_all_schedules(services) for _ in range(repeats))
        instance.dispose()
    return {
        "create->visible+launchable": statistics.median(create),
        "dispatcher tick, none due": statistics.median(idle),
        f"dispatcher tick, 1% due ({due} runs requested)": burst,
        "next fire time of every schedule": evaluate,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    require_image(IMAGE)
    baseline = measure(BASELINE, args.repeats)
    results = {size: measure(size, args.repeats) for size in args.sizes}
    print(f"{'':50} {BASELINE:>8} " + " ".join(f"{size:>18}" for size in args.sizes))
    for metric, base in baseline.items():
        label = metric.split(" (")[0] if "(" in metric else metric
        cells = []
        for size in args.sizes:
            value = next(v for k, v in results[size].items() if k.split(" (")[0] == label)
            cells.append(f"{value:8.3f}s ({value / base:4.1f}x)")
        print(f"{label:50} {base:7.3f}s " + " ".join(f"{c:>18}" for c in cells))
    largest = results[max(args.sizes)]
    visible = largest["create->visible+launchable"]
    evaluate = max(
        largest["next fire time of every schedule"],
        next(v for k, v in largest.items() if k.startswith("dispatcher tick, 1%")),
    )
    print(
        f"at {max(args.sizes)} tasks: create -> visible and launchable {visible:.3f}s "
        f"(target < {TARGET_VISIBLE_SECONDS}s: {'met' if visible < TARGET_VISIBLE_SECONDS else 'MISSED'}); "
        f"evaluating all schedules {evaluate:.3f}s "
        f"(target < {TARGET_EVALUATE_SECONDS}s: {'met' if evaluate < TARGET_EVALUATE_SECONDS else 'MISSED'})"
    )


if __name__ == "__main__":
    main()

"""Launch overhead: a trivial task through bgtasks against a plain `docker run --rm` of the same image.

For each sample: wall time from the launch request (the call the CLI and the REST API make) to the
run's success being recorded in Dagster's storage. The baseline is `docker run --rm IMAGE true`,
measured in the same run, alternating with ours so both see the same machine load.

    .venv/bin/python benchmarks/launch_overhead.py [--runs 9]
"""

from __future__ import annotations

import argparse
import subprocess
import time

from _harness import median, require_image, temp_instance_home, warm_worker

IMAGE = "bgtasks/busybox:1.35"
TARGET_RATIO = 2.5


def time_docker_run() -> float:
    started = time.perf_counter()
    subprocess.run(["docker", "run", "--rm", IMAGE, "true"], check=True, capture_output=True)
    return time.perf_counter() - started


def time_task_launch(instance, workspace) -> float:
    from bgtasks.orchestration.launch import launch_task

    started = time.perf_counter()
    run = launch_task(instance, workspace, "trivial")
    while True:
        current = instance.get_run_by_id(run.run_id)
        if current.is_finished:
            break
        time.sleep(0.005)
    elapsed = time.perf_counter() - started
    if current.status.value != "SUCCESS":
        raise SystemExit(f"run {run.run_id} ended {current.status.value}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--warmup", type=int, default=2)
    args = parser.parse_args()
    require_image(IMAGE)

    with temp_instance_home() as home, warm_worker(home):
        from bgtasks.orchestration.instance import get_instance
        from bgtasks.orchestration.launch import in_process_workspace
        from bgtasks.services import services_for

        instance = get_instance()
        services = services_for(instance)
        services.templates.seed_defaults()
        services.images.register(IMAGE)
        services.tasks.create({"name": "trivial", "image": IMAGE, "command": ["true"]}, owner="bench")
        ours: list[float] = []
        plain: list[float] = []
        with in_process_workspace(instance) as workspace:
            for _ in range(args.warmup):
                time_docker_run()
                time_task_launch(instance, workspace)
            for _ in range(args.runs):
                plain.append(time_docker_run())
                ours.append(time_task_launch(instance, workspace))

    ratio = median(ours) / median(plain)
    print(f"samples: {args.runs} of each, alternating, after {args.warmup} warm-up runs")
    print(
        f"docker run --rm {IMAGE} true: median {median(plain):.3f} s  (min {min(plain):.3f}, max {max(plain):.3f})"
    )
    print(
        f"bgtasks launch -> SUCCESS recorded: median {median(ours):.3f} s  (min {min(ours):.3f}, max {max(ours):.3f})"
    )
    print(
        f"ratio: {ratio:.2f}x plain docker run (target <= {TARGET_RATIO}x): {'met' if ratio <= TARGET_RATIO else 'MISSED'}"
    )


if __name__ == "__main__":
    main()

"""The example tasks ``make run`` starts with: a hello task and a small CSV -> Parquet data task.

Their images are built locally by scripts/build_images.sh (sources in images/).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from bgtasks.errors import NotFound
from bgtasks.services import Services

EXAMPLE_OWNER = "examples"

EXAMPLE_TASKS: tuple[dict[str, Any], ...] = (
    {
        "name": "hello",
        "description": "Says hello in its log and writes hello.txt to its outputs.",
        "image": "bgtasks/example-hello:1",
        "env": {"GREETING": "hello from bgtasks"},
        "template": "small",
    },
    {
        "name": "sales-to-parquet",
        "description": "Reads the bundled daily sales CSV, aggregates it and writes Parquet. "
        "Runs every day at 06:00 Berlin time, and after each successful hello.",
        "image": "bgtasks/example-csv-to-parquet:1",
        "template": "small",
        "schedule": "0 6 * * *",
        "timezone": "Europe/Berlin",
        "run_after": "hello",
    },
)


def install_examples(services: Services) -> Iterator[str]:
    """Register the example images and create the example tasks that do not exist yet.

    Their owner is the user ``examples``: no role, no password, no token (nobody signs in as it).
    Scheduled runs run as a task's owner, so the owner must be a user; an admin, or a TASK_EDITOR who
    takes ownership, can change the examples.
    """
    if services.users.find(EXAMPLE_OWNER) is None:
        services.users.create(EXAMPLE_OWNER)
        yield f"created user {EXAMPLE_OWNER} (owns the example tasks; cannot sign in)"
    for spec in EXAMPLE_TASKS:
        try:
            services.tasks.get(spec["name"])
            continue
        except NotFound:
            pass
        image = services.images.register(spec["image"])
        yield f"registered image {image.reference} ({image.digest[:19]})"
        services.tasks.create(dict(spec), owner=EXAMPLE_OWNER)
        yield f"created example task {spec['name']}"

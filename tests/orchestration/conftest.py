from __future__ import annotations

import pytest


@pytest.fixture
def hello_task(services, test_image):
    """A registered test image and a task that writes one output file."""
    services.images.register(test_image)
    return services.tasks.create(
        {
            "name": "hello",
            "image": test_image,
            "command": ["sh", "-c", 'echo "greeting=$GREETING"; echo -n hi > $BGTASKS_OUTPUT_DIR/hi.txt'],
            "env": {"GREETING": "hello"},
        },
        owner="ana",
    )

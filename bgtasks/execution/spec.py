"""The fully resolved description of one run's container, pinned when the run is submitted."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

OUTPUT_DIR = "/bgtasks/output"


@dataclass(frozen=True)
class RunSpec:
    """Everything the container of one run needs; a run keeps the spec it was submitted with."""

    task_name: str
    task_revision: int
    image_reference: str
    image_digest: str
    command: list[str]
    env: dict[str, str]
    template_name: str
    template_revision: int
    cpus: float
    memory_mib: int
    max_processes: int
    time_limit_seconds: int
    network: str
    run_as_user: str | None
    extra_labels: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunSpec:
        return cls(**data)

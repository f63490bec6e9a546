"""Validated models of the registry. Input models check everything a user can get wrong;
stored models add what the registry derives (ids, digests, owners, revisions, timestamps)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from bgtasks.errors import InvalidInput
from bgtasks.registry.cron import check_cron
from bgtasks.registry.validation import check_env, check_name, check_timezone, check_user

Name = Annotated[str, AfterValidator(check_name)]
Env = Annotated[dict[str, str], AfterValidator(check_env)]
Network = Literal["none", "bridge"]

MAX_CPUS = 64.0
MAX_MEMORY_MIB = 1024 * 1024
MAX_PROCESSES = 32768
MAX_TIME_LIMIT_SECONDS = 7 * 24 * 3600


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LaunchTemplateInput(StrictModel):
    """The dedicated resources a task's container gets."""

    name: Name
    description: str = ""
    cpus: float = Field(gt=0, le=MAX_CPUS, description="CPU quota in cores; fractions allowed (0.25).")
    memory_mib: int = Field(ge=8, le=MAX_MEMORY_MIB, description="Memory limit; swap is set equal (no swap).")
    max_processes: int = Field(ge=1, le=MAX_PROCESSES, description="Largest number of processes and threads.")
    time_limit_seconds: int = Field(
        ge=1, le=MAX_TIME_LIMIT_SECONDS, description="Wall-clock limit of one run."
    )
    network: Network = "none"
    env: Env = Field(default_factory=dict, description="Default environment; a task's own values win.")
    run_as_user: Annotated[str | None, AfterValidator(check_user)] = Field(
        default="65534:65534", description="uid[:gid] the container runs as; null keeps the image's user."
    )


class LaunchTemplate(LaunchTemplateInput):
    id: int
    revision: int
    created_at: datetime
    updated_at: datetime


class Image(StrictModel):
    """An image the Docker Engine holds, recorded with the content digest tasks pin."""

    id: int
    reference: str
    digest: str
    size_bytes: int
    origin: Literal["registered", "uploaded"]
    created_at: datetime
    updated_at: datetime


class TaskInput(StrictModel):
    """What a user says about a task."""

    name: Name
    description: str = ""
    image: str = Field(min_length=1, max_length=255, description="Reference of a registered image.")
    command: list[str] = Field(
        default_factory=list, description="Command and arguments; empty keeps the image's."
    )
    env: Env = Field(default_factory=dict)
    template: Name = "small"
    schedule: Annotated[str | None, AfterValidator(lambda v: v if v is None else check_cron(v))] = None
    timezone: Annotated[str, AfterValidator(check_timezone)] = "UTC"
    run_after: Name | None = Field(default=None, description="Run this task whenever that task succeeds.")
    enabled: bool = Field(
        default=True, description="When false, the schedule and triggers do not start runs."
    )


class Task(TaskInput):
    id: int
    image_digest: str
    owner: str
    revision: int
    next_run_at: float | None
    created_at: datetime
    updated_at: datetime


M = TypeVar("M", bound=BaseModel)


def validated(model: type[M], data: dict[str, Any]) -> M:
    """Build ``model`` from ``data``; the first problem becomes InvalidInput naming its field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error["loc"]) or None
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown field"
        raise InvalidInput(message, field=field) from exc

"""Tasks: create, list, show, update, delete. Every change bumps the task's revision.

A task's name is its identity everywhere (the Dagster partition key, container labels, URLs), so it
cannot be changed. The image is pinned by digest when the task is created or its image changes.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from typing import Any, Protocol

import sqlalchemy as sa

from bgtasks.db.tables import images, launch_templates, tasks
from bgtasks.errors import BgtasksError, Conflict, EngineUnavailable, InvalidInput, NotFound
from bgtasks.registry.clock import epoch, utcnow
from bgtasks.registry.cron import next_fire_after
from bgtasks.registry.models import Task, TaskInput, validated

INPUT_FIELDS = set(TaskInput.model_fields)


class TaskListener(Protocol):
    """Told about tasks appearing and disappearing (Dagster's dynamic partitions listen)."""

    def task_created(self, name: str) -> None: ...

    def task_deleted(self, name: str) -> None: ...


def next_run_time(task: TaskInput, now: float) -> float | None:
    """When the schedule fires next, or None for a task without schedule or disabled."""
    if not task.schedule or not task.enabled:
        return None
    return next_fire_after(task.schedule, task.timezone, now)


def _select_tasks() -> sa.Select:
    return sa.select(tasks, launch_templates.c.name.label("template")).join(
        launch_templates, tasks.c.template_id == launch_templates.c.id
    )


def _from_row(row: sa.Row) -> Task:
    data = dict(row._mapping)
    data["image"] = data.pop("image_reference")
    data.pop("template_id")
    return Task.model_validate(data)


class TaskService:
    def __init__(
        self,
        engine: sa.Engine,
        listener: TaskListener | None = None,
        clock: Callable[[], float] = epoch,
    ) -> None:
        self._engine = engine
        self._listener = listener
        self._clock = clock

    # Reading

    def list(self, *, limit: int | None = None, offset: int = 0) -> builtins.list[Task]:
        query = _select_tasks().order_by(tasks.c.name).offset(offset)
        if limit is not None:
            query = query.limit(limit)
        with self._engine.connect() as connection:
            return [_from_row(row) for row in connection.execute(query)]

    def count(self) -> int:
        with self._engine.connect() as connection:
            return int(connection.execute(sa.select(sa.func.count()).select_from(tasks)).scalar_one())

    def get(self, name: str) -> Task:
        with self._engine.connect() as connection:
            return self._get(connection, name)

    @staticmethod
    def _get(connection: sa.Connection, name: str) -> Task:
        row = connection.execute(_select_tasks().where(tasks.c.name == name)).first()
        if row is None:
            raise NotFound(f"task {name!r} does not exist", field="task")
        return _from_row(row)

    def due(self, now: float, limit: int = 10_000) -> builtins.list[Task]:
        """Enabled scheduled tasks whose next fire time has come, oldest first."""
        query = (
            _select_tasks()
            .where(tasks.c.next_run_at.is_not(None), tasks.c.next_run_at <= now, tasks.c.enabled.is_(True))
            .order_by(tasks.c.next_run_at)
            .limit(limit)
        )
        with self._engine.connect() as connection:
            return [_from_row(row) for row in connection.execute(query)]

    def advance(self, name: str, fired_at: float, next_run_at: float | None) -> bool:
        """Move a due task's next fire time on; False when someone else already moved it."""
        with self._engine.begin() as connection:
            result = connection.execute(
                tasks.update()
                .where(tasks.c.name == name, tasks.c.next_run_at == fired_at)
                .values(next_run_at=next_run_at)
            )
            return result.rowcount == 1

    def triggered_by(self, name: str) -> builtins.list[Task]:
        """Enabled tasks that run whenever task ``name`` succeeds."""
        query = (
            _select_tasks().where(tasks.c.run_after == name, tasks.c.enabled.is_(True)).order_by(tasks.c.name)
        )
        with self._engine.connect() as connection:
            return [_from_row(row) for row in connection.execute(query)]

    # Changing

    def create(self, data: dict[str, Any], owner: str) -> Task:
        task = validated(TaskInput, data)
        with self._engine.begin() as connection:
            if connection.execute(sa.select(tasks.c.id).where(tasks.c.name == task.name)).first():
                raise Conflict(f"task {task.name!r} already exists", field="name")
            values = self._checked_values(connection, task, pinned_digest=None)
            now = utcnow()
            connection.execute(
                tasks.insert().values(**values, owner=owner, revision=1, created_at=now, updated_at=now)
            )
            created = self._get(connection, task.name)
            # Inside the transaction: if Dagster cannot record the partition, the task is not created.
            self._notify("task_created", task.name)
            return created

    def update(self, name: str, changes: dict[str, Any], *, repin_image: bool = False) -> Task:
        """Change some fields; unchanged fields keep their values. Returns the new revision."""
        unknown = set(changes) - INPUT_FIELDS
        if unknown:
            raise InvalidInput("unknown field", field=sorted(unknown)[0])
        if "name" in changes and changes["name"] != name:
            raise InvalidInput("a task cannot be renamed; create a new task instead", field="name")
        with self._engine.begin() as connection:
            current = self._get(connection, name)
            merged = {**current.model_dump(include=INPUT_FIELDS), **changes}
            task = validated(TaskInput, merged)
            keep_digest = task.image == current.image and not repin_image
            values = self._checked_values(
                connection, task, pinned_digest=current.image_digest if keep_digest else None
            )
            if (task.schedule, task.timezone, task.enabled) == (
                current.schedule,
                current.timezone,
                current.enabled,
            ):
                values["next_run_at"] = current.next_run_at  # a fire time that is due stays due
            connection.execute(
                tasks.update()
                .where(tasks.c.id == current.id)
                .values(**values, revision=current.revision + 1, updated_at=utcnow())
            )
            return self._get(connection, name)

    def set_owner(self, name: str, owner: str) -> Task:
        """Make ``owner`` the task's one owner. What the task runs is unchanged, so its revision is
        too: runs keep pinning the same definition."""
        with self._engine.begin() as connection:
            current = self._get(connection, name)
            connection.execute(
                tasks.update().where(tasks.c.id == current.id).values(owner=owner, updated_at=utcnow())
            )
            return self._get(connection, name)

    def delete(self, name: str) -> None:
        with self._engine.begin() as connection:
            current = self._get(connection, name)
            dependants = (
                connection.execute(
                    sa.select(tasks.c.name).where(tasks.c.run_after == name).order_by(tasks.c.name)
                )
                .scalars()
                .all()
            )
            if dependants:
                raise Conflict(
                    f"task {name!r} triggers task(s) {', '.join(dependants)}: change their run_after first",
                    field="name",
                )
            connection.execute(tasks.delete().where(tasks.c.id == current.id))
            self._notify("task_deleted", name)

    def _checked_values(self, connection: sa.Connection, task: TaskInput, pinned_digest: str | None) -> dict:
        template_id = connection.execute(
            sa.select(launch_templates.c.id).where(launch_templates.c.name == task.template)
        ).scalar()
        if template_id is None:
            raise InvalidInput(f"unknown launch template {task.template!r}", field="template")
        digest = pinned_digest
        if digest is None:
            digest = connection.execute(
                sa.select(images.c.digest).where(images.c.reference == task.image)
            ).scalar()
            if digest is None:
                raise InvalidInput(
                    f"image {task.image!r} is not registered: run 'bgtasks images register {task.image}' "
                    "or upload it",
                    field="image",
                )
        if task.run_after is not None:
            if task.run_after == task.name:
                raise InvalidInput("a task cannot trigger itself", field="run_after")
            self._check_trigger_chain(connection, task.name, task.run_after)
        values = task.model_dump(exclude={"image", "template"})
        return {
            **values,
            "image_reference": task.image,
            "image_digest": digest,
            "template_id": template_id,
            "next_run_at": next_run_time(task, self._clock()),
        }

    @staticmethod
    def _check_trigger_chain(connection: sa.Connection, name: str, run_after: str) -> None:
        """``run_after`` must exist, and following run_after links from it must not lead back to ``name``."""
        seen = {name}
        current: str | None = run_after
        while current is not None:
            if current in seen:
                raise InvalidInput(
                    f"run_after {run_after!r} would make tasks trigger each other in a loop",
                    field="run_after",
                )
            seen.add(current)
            row = connection.execute(sa.select(tasks.c.run_after).where(tasks.c.name == current)).first()
            if row is None:
                if current == run_after:
                    raise InvalidInput(f"task {run_after!r} does not exist", field="run_after")
                break
            current = row.run_after

    def _notify(self, event: str, name: str) -> None:
        if self._listener is None:
            return
        try:
            getattr(self._listener, event)(name)
        except BgtasksError:
            raise
        except Exception as exc:
            raise EngineUnavailable(f"Dagster storage did not record task {name!r}: {exc}") from exc

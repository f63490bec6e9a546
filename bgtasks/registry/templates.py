"""Launch templates: named, validated resource profiles. Changes apply to future runs only."""

from __future__ import annotations

import builtins
from typing import Any

import sqlalchemy as sa

from bgtasks.db.tables import launch_templates, tasks
from bgtasks.errors import Conflict, InvalidInput, NotFound
from bgtasks.registry.clock import utcnow
from bgtasks.registry.models import LaunchTemplate, LaunchTemplateInput, validated

DEFAULT_TEMPLATES: tuple[dict[str, Any], ...] = (
    {
        "name": "small",
        "description": "Half a core, 512 MiB, one hour, no network.",
        "cpus": 0.5,
        "memory_mib": 512,
        "max_processes": 128,
        "time_limit_seconds": 3600,
        "network": "none",
    },
    {
        "name": "medium",
        "description": "One core, 2 GiB, four hours, network access.",
        "cpus": 1.0,
        "memory_mib": 2048,
        "max_processes": 256,
        "time_limit_seconds": 4 * 3600,
        "network": "bridge",
    },
    {
        "name": "large",
        "description": "Two cores, 8 GiB, twelve hours, network access.",
        "cpus": 2.0,
        "memory_mib": 8192,
        "max_processes": 1024,
        "time_limit_seconds": 12 * 3600,
        "network": "bridge",
    },
)


def _from_row(row: sa.Row) -> LaunchTemplate:
    return LaunchTemplate.model_validate(dict(row._mapping))


class TemplateService:
    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    def list(self) -> builtins.list[LaunchTemplate]:
        with self._engine.connect() as connection:
            rows = connection.execute(sa.select(launch_templates).order_by(launch_templates.c.name))
            return [_from_row(row) for row in rows]

    def get(self, name: str) -> LaunchTemplate:
        with self._engine.connect() as connection:
            return self._get(connection, name)

    def get_by_id(self, template_id: int) -> LaunchTemplate:
        with self._engine.connect() as connection:
            row = connection.execute(
                sa.select(launch_templates).where(launch_templates.c.id == template_id)
            ).first()
        if row is None:
            raise NotFound(f"launch template #{template_id} does not exist", field="template")
        return _from_row(row)

    @staticmethod
    def _get(connection: sa.Connection, name: str) -> LaunchTemplate:
        row = connection.execute(sa.select(launch_templates).where(launch_templates.c.name == name)).first()
        if row is None:
            raise NotFound(f"launch template {name!r} does not exist", field="template")
        return _from_row(row)

    def create(self, data: dict[str, Any]) -> LaunchTemplate:
        template = validated(LaunchTemplateInput, data)
        now = utcnow()
        with self._engine.begin() as connection:
            if connection.execute(
                sa.select(launch_templates.c.id).where(launch_templates.c.name == template.name)
            ).first():
                raise Conflict(f"launch template {template.name!r} already exists", field="name")
            connection.execute(
                launch_templates.insert().values(
                    **template.model_dump(), revision=1, created_at=now, updated_at=now
                )
            )
            return self._get(connection, template.name)

    def update(self, name: str, changes: dict[str, Any]) -> LaunchTemplate:
        """Change some fields; the template's revision goes up. Runs already submitted keep the old values."""
        if "name" in changes and changes["name"] != name:
            raise InvalidInput("a launch template cannot be renamed", field="name")
        with self._engine.begin() as connection:
            current = self._get(connection, name)
            merged = {**current.model_dump(include=set(LaunchTemplateInput.model_fields)), **changes}
            template = validated(LaunchTemplateInput, merged)
            connection.execute(
                launch_templates.update()
                .where(launch_templates.c.id == current.id)
                .values(**template.model_dump(), revision=current.revision + 1, updated_at=utcnow())
            )
            return self._get(connection, name)

    def delete(self, name: str) -> None:
        """Delete a template no task uses; otherwise refuse, naming the tasks."""
        with self._engine.begin() as connection:
            current = self._get(connection, name)
            users = (
                connection.execute(
                    sa.select(tasks.c.name).where(tasks.c.template_id == current.id).order_by(tasks.c.name)
                )
                .scalars()
                .all()
            )
            if users:
                shown = ", ".join(users[:20]) + (f" and {len(users) - 20} more" if len(users) > 20 else "")
                raise Conflict(
                    f"launch template {name!r} is used by {len(users)} task(s): {shown}; "
                    "move them to another template first",
                    field="name",
                )
            connection.execute(launch_templates.delete().where(launch_templates.c.id == current.id))

    def seed_defaults(self) -> builtins.list[str]:
        """Create the shipped templates (small, medium, large) that do not exist yet; return their names."""
        existing = {template.name for template in self.list()}
        created = []
        for data in DEFAULT_TEMPLATES:
            if data["name"] not in existing:
                self.create(data)
                created.append(data["name"])
        return created

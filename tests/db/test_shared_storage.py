"""The registry lives in Dagster's own database: PostgreSQL through dagster-postgres, else SQLite."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from bgtasks.db.migrate import current_revision, head_revision
from tests.conftest import reset_process_state, write_instance_config

pytestmark = [pytest.mark.postgres, pytest.mark.docker]


def test_registry_tables_and_dagster_runs_share_one_postgres_database(
    tmp_path, monkeypatch, postgres_url, test_image
):
    home = tmp_path / "home"
    write_instance_config(home, postgres=True)
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("BGTASKS_POSTGRES_URL", postgres_url)
    reset_process_state()
    from bgtasks.orchestration.definitions import defs
    from bgtasks.orchestration.instance import get_instance
    from bgtasks.services import services_for

    instance = get_instance()
    services = services_for(instance)
    assert services.engine.url.render_as_string(hide_password=False) == postgres_url
    services.templates.seed_defaults()
    services.images.register(test_image)
    services.tasks.create(
        {"name": "pg-task", "image": test_image, "command": ["echo", "on postgres"]}, owner="ana"
    )
    result = defs.get_job_def("background_task").execute_in_process(
        instance=instance, partition_key="pg-task"
    )
    assert result.success

    engine = sa.create_engine(postgres_url)
    with engine.connect() as connection:
        tables = set(sa.inspect(connection).get_table_names())
        assert {"runs", "event_logs", "dynamic_partitions"} <= tables  # Dagster's
        assert {"bgtasks_tasks", "bgtasks_task_runs", "bgtasks_alembic_version"} <= tables  # ours
        stored = connection.execute(sa.text("SELECT task_name, exit_code FROM bgtasks_task_runs")).all()
        assert [tuple(row) for row in stored] == [("pg-task", 0)]
        partitions = connection.execute(sa.text("SELECT partition FROM dynamic_partitions")).scalars().all()
        assert partitions == ["pg-task"]
    assert current_revision(engine) == head_revision()
    engine.dispose()
    instance.dispose()
    reset_process_state()


def test_sqlite_registry_sits_beside_dagsters_sqlite_files(instance, services):
    assert services.engine.url.database == str(services.settings.home / "bgtasks.db")
    assert (services.settings.home / "history" / "runs.db").exists()

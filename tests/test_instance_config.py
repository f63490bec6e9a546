"""The SQLite and PostgreSQL instance files differ in their storage section only."""

import yaml

from tests.conftest import PROJECT_ROOT


def test_postgres_deployment_matches_the_default_but_for_storage():
    default = yaml.safe_load((PROJECT_ROOT / "dagster.yaml").read_text())
    postgres = yaml.safe_load((PROJECT_ROOT / "deploy/postgres/dagster.yaml").read_text())
    assert default.pop("storage")["custom"]["class"] == "TunedSqliteStorage"
    assert postgres.pop("storage") == {"postgres": {"postgres_url": {"env": "BGTASKS_POSTGRES_URL"}}}
    assert default == postgres

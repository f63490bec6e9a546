from __future__ import annotations

import json

from click.testing import CliRunner

from bgtasks.catalog import Catalog
from bgtasks.catalog.cli import sources
from tests.catalog.conftest import publish_table, table


def _catalog(tmp_path) -> tuple[str, Catalog]:
    root = str(tmp_path / "catalog")
    catalog = Catalog(root)
    catalog.ensure_source("ecb_mfi", "ECB list of MFIs", "parquet")
    catalog.ensure_source("empty_one", "Nothing yet", "jsonl")
    return root, catalog


def test_sources_list_versions_files(tmp_path):
    root, catalog = _catalog(tmp_path)
    first = publish_table(catalog, "ecb_mfi", table(2), "h1", run_id="run-a")
    second = publish_table(catalog, "ecb_mfi", table(3), "h2", run_id="run-b")
    runner = CliRunner()

    out = runner.invoke(sources, ["--root", root, "list"])
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    assert lines[0].split() == ["NAME", "FORMAT", "CURRENT", "VERSIONS", "DESCRIPTION"]
    assert lines[1].split()[:4] == ["ecb_mfi", "parquet", second.version, "2"]
    assert lines[2].split()[:4] == ["empty_one", "jsonl", "-", "0"]

    out = runner.invoke(sources, ["--root", root, "versions", "ecb_mfi"])
    assert out.exit_code == 0, out.output
    rows = [line.split() for line in out.output.splitlines()[1:]]
    assert rows[0][0] == first.version and rows[0][1] == "2" and rows[0][-1] == "run-a"
    assert rows[1][:3] == ["*", second.version, "3"]

    out = runner.invoke(sources, ["--root", root, "files", "ecb_mfi", "--version", first.version, "--json"])
    assert out.exit_code == 0, out.output
    (entry,) = json.loads(out.output)
    assert entry["rows"] == 2 and entry["path"] == "ecb_mfi.parquet"
    assert entry["location"].endswith(f"ecb_mfi/versions/{first.version}/ecb_mfi.parquet")


def test_unknown_source_is_a_clear_error_with_the_not_found_exit_code(tmp_path):
    root, _ = _catalog(tmp_path)
    out = CliRunner().invoke(sources, ["--root", root, "versions", "nope"])
    assert out.exit_code == 3
    assert "no source named 'nope'" in out.output
    out = CliRunner().invoke(sources, ["--root", root, "files", "empty_one"])
    assert out.exit_code == 3 and "no current version" in out.output


def test_root_defaults_to_the_settings(tmp_path, monkeypatch):
    from bgtasks.settings import get_settings

    root, _ = _catalog(tmp_path)
    monkeypatch.setenv("BGTASKS_CATALOG_ROOT", root)
    get_settings.cache_clear()
    try:
        out = CliRunner().invoke(sources, ["list", "--json"])
    finally:
        get_settings.cache_clear()
    assert out.exit_code == 0, out.output
    assert [s["name"] for s in json.loads(out.output)] == ["ecb_mfi", "empty_one"]

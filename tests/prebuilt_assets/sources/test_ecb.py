from __future__ import annotations

import gzip
from datetime import date

import dagster as dg
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bgtasks.catalog import Catalog
from prebuilt_assets import line_blocks, tabular
from prebuilt_assets.http import HttpClient
from prebuilt_assets.sources.ecb.assets import ecb_mfi
from prebuilt_assets.sources.ecb.checks import CHECKS
from prebuilt_assets.sources.ecb.client import EcbClient
from prebuilt_assets.sources.ecb.parse import parse_mfi
from prebuilt_assets.sources.ecb.settings import EcbResource
from tests.prebuilt_assets.conftest import (
    ECB_DIR,
    ECB_LANDING,
    FAST,
    base_resources,
    check_results,
    failure_message,
    materialization,
)
from tests.prebuilt_assets.server import FIXTURES, Fault

GZ = f"{ECB_DIR}/mfi_csv_261202.csv.gz"
FIXTURE_TEXT = (FIXTURES / "ecb" / "mfi_csv_261202.csv").read_bytes().decode("utf-16")


def run(server, catalog_root, instance, **ecb):
    resources = {**base_resources(catalog_root), "ecb": EcbResource(base_url=server.url, **ecb)}
    return dg.materialize([ecb_mfi, *CHECKS], resources=resources, instance=instance, raise_on_error=False)


def gz_of(text: str) -> bytes:
    return gzip.compress(text.encode("utf-16"))


def test_publishes_the_list_with_its_quirks_intact(server, catalog_root, instance):
    result = run(server, catalog_root, instance)
    assert result.success, failure_message(result)
    meta = materialization(result)
    assert meta["rows"] == meta["dagster/row_count"] == 82
    assert meta["status"] == "published"
    assert check_results(result) == {
        "has_rows": (True, "ERROR"),
        "key_unique": (True, "ERROR"),
        "row_count_change": (True, "WARN"),
    }

    catalog = Catalog(catalog_root)
    manifest = catalog.get_version("ecb_mfi")
    assert manifest.extra["list_date"] == "2026-12-02"
    assert [u.url for u in manifest.upstream] == [server.url + ECB_LANDING, server.url + GZ]
    assert manifest.upstream[1].etag and manifest.upstream[1].last_modified
    assert manifest.run_id == result.run_id

    table = pq.read_table(catalog.list_files("ecb_mfi")[0].location)
    assert table.schema.types == [pa.string()] * 14
    rows = {r["RIAD_CODE"]: r for r in table.to_pylist()}
    assert rows["DE01489"]["NAME"] == '"""Spar- und Kreditbank Evangelisch-Freikirchlicher Gemeinden eG"""'
    assert rows["DE03904"]["NAME"] == 'Raiffeisenbank "Nahe" eG'
    assert sorted(r for r, v in rows.items() if v["COUNTRY_OF_REGISTRATION"] == "E$") == [
        "E$0ECBM00221",
        "E$0ECBM00445",
    ]
    assert rows["E$0ECBM00221"]["NAME"] == "European Central Bank [ECB]"
    addresses = [v["ADDRESS"] for v in rows.values() if v["ADDRESS"]]
    assert "42, RUE D ANJOU" in addresses and "Taliadourou and Kolokotroni Str." in addresses
    assert "Bijlmerdreef\xa0106" in addresses, "inner NBSP is data, only the ends are trimmed"
    assert all(a == a.strip() for a in addresses)
    assert rows["BE0889389238"]["LEI"] is None and rows["BE0889389238"]["HEAD_RIAD_CODE"] == "IN0ECBM00018"
    assert (
        rows["AT0000003888151"]["CATEGORY"] == "Central Bank" and rows["AT0000003888151"]["POSTAL"] == "1090"
    )


def test_unchanged_upstream_makes_no_new_version(server, catalog_root, instance):
    first = run(server, catalog_root, instance)
    assert first.success
    again = run(server, catalog_root, instance)  # 304 on the conditional GET
    assert again.success and materialization(again)["status"] == "unchanged"
    plain = run(server, catalog_root, instance, prefer_gzip=False)  # other URL, same content hash
    assert plain.success and materialization(plain)["status"] == "unchanged"
    assert "same content hash" in materialization(plain)["reason"]
    assert len(Catalog(catalog_root).list_versions("ecb_mfi")) == 1


def test_new_content_is_a_new_version_and_unknown_columns_are_kept(server, catalog_root, instance):
    assert run(server, catalog_root, instance).success
    lines = FIXTURE_TEXT.split("\r\n")
    extended = [lines[0] + "\tNEW_FIELD"] + [line + "\tx" for line in lines[1:-1]] + [""]
    server.replace_body(GZ, gz_of("\r\n".join(extended)))
    result = run(server, catalog_root, instance)
    assert result.success, failure_message(result)
    assert materialization(result)["unknown_columns"] == ["NEW_FIELD"]
    versions = Catalog(catalog_root).list_versions("ecb_mfi")
    assert len(versions) == 2 and versions[-1].current
    assert versions[-1].manifest.schema[-1]["name"] == "NEW_FIELD"


@pytest.mark.parametrize(
    ("fault", "problem"),
    [
        (Fault.html(), "an HTML page was served where gzip data was expected"),
        (Fault.truncate(), "truncated gzip"),
        (Fault.empty(), "empty result"),
    ],
)
def test_bad_downloads_fail_and_keep_the_current_version(server, catalog_root, instance, fault, problem):
    assert run(server, catalog_root, instance).success
    before = Catalog(catalog_root).get_version("ecb_mfi").version
    server.replace_body(
        GZ, gz_of(FIXTURE_TEXT.replace("Wien", "Vienna"))
    )  # new content, so a publish would happen
    server.fail(GZ, fault)
    result = run(server, catalog_root, instance)
    message = failure_message(result)
    assert f"ecb_mfi: {server.url}{GZ}: " in message and problem in message
    assert Catalog(catalog_root).get_version("ecb_mfi").version == before
    assert len(Catalog(catalog_root).list_versions("ecb_mfi")) == 1


def test_missing_required_column_fails_naming_it(server, catalog_root, instance):
    lines = FIXTURE_TEXT.split("\r\n")
    without_name = ["\t".join(c for i, c in enumerate(line.split("\t")) if i != 3) for line in lines]
    server.replace_body(GZ, gz_of("\r\n".join(without_name)))
    result = run(server, catalog_root, instance)
    message = failure_message(result)
    assert f"ecb_mfi: {server.url}{GZ}: required column(s) missing: NAME" in message
    with pytest.raises(Exception, match="no current version"):
        Catalog(catalog_root).get_version("ecb_mfi")


def test_landing_page_without_links_falls_back_to_dated_names(server):
    server.replace_body(ECB_LANDING, b"<!DOCTYPE html><html><body>redesigned</body></html>")
    with HttpClient("ecb_mfi", FAST) as http:
        _, found = EcbClient(http, server.url, walk_back_days=3).find_latest(today=date(2026, 12, 4))
    assert found.list_date == date(2026, 12, 2) and found.url == server.url + GZ


@pytest.mark.parametrize("name", ["mfi_csv_261202.csv", "mfi_csv_261202.csv.gz"])
def test_small_blocks_and_row_groups_parse_to_the_same_table(tmp_path, monkeypatch, name):
    """The list cut into ~1 KB blocks (each parsed on its own) and written in row groups of about
    10 rows gives the table the whole file gives in one block."""
    path = FIXTURES / "ecb" / name
    gz = name.endswith(".gz")
    whole = parse_mfi(path, str(tmp_path / "whole.parquet"), gzip=gz, url=name)
    monkeypatch.setattr(line_blocks, "READ_BYTES", 256)
    monkeypatch.setattr(tabular, "ROW_GROUP_ROWS", 10)
    cut = parse_mfi(
        path, str(tmp_path / "cut.parquet"), gzip=gz, url=name, block_size=1024, whole_file_bytes=0
    )
    assert whole.rows == cut.rows == 82
    assert pq.read_table(tmp_path / "cut.parquet").equals(pq.read_table(tmp_path / "whole.parquet"))
    meta = pq.ParquetFile(tmp_path / "cut.parquet").metadata
    sizes = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
    assert len(sizes) > 3 and max(sizes) < 20, sizes

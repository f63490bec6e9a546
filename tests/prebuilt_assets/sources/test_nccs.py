from __future__ import annotations

import csv
import io

import dagster as dg
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bgtasks.catalog import Catalog
from prebuilt_assets import line_blocks
from prebuilt_assets.errors import SchemaError
from prebuilt_assets.sources.nccs.assets import nccs_501c3_pz
from prebuilt_assets.sources.nccs.checks import CHECKS
from prebuilt_assets.sources.nccs.parse import parse_core
from prebuilt_assets.sources.nccs.settings import NccsResource
from tests.prebuilt_assets.conftest import (
    NCCS_2022,
    base_resources,
    check_results,
    failure_message,
    materialization,
)
from tests.prebuilt_assets.server import FIXTURES, Fault

FIXTURE = (FIXTURES / "nccs" / "CORE-2022-501C3-CHARITIES-PZ-HRMN.csv").read_bytes()
NCCS_2023 = NCCS_2022.replace("2022", "2023")
NCCS_2019 = NCCS_2022.replace("2022", "2019")


def run(server, catalog_root, instance, **nccs):
    resources = {
        **base_resources(catalog_root),
        "nccs": NccsResource(catalog_base_url=server.url, data_base_url=server.url, **nccs),
    }
    return dg.materialize(
        [nccs_501c3_pz, *CHECKS], resources=resources, instance=instance, raise_on_error=False
    )


def rows_of(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"))))


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue().encode(encoding)


def test_publishes_the_newest_year_typed(server, catalog_root, instance):
    result = run(server, catalog_root, instance)
    assert result.success, failure_message(result)
    meta = materialization(result)
    assert meta["rows"] == 80 and meta["status"] == "published" and meta["unknown_columns"] == []
    assert {k: v[0] for k, v in check_results(result).items()} == {
        "has_rows": True,
        "key_unique": True,
        "row_count_change": True,
    }
    catalog = Catalog(catalog_root)
    manifest = catalog.get_version("nccs_501c3_pz")
    assert manifest.extra["tax_year"] == 2022 and manifest.extra["found_by"] == "catalog page"
    assert manifest.extra["encoding"] == "utf-8"
    assert manifest.upstream[-1].url == server.url + NCCS_2022

    table = pq.read_table(catalog.list_files("nccs_501c3_pz")[0].location)
    assert table.num_columns == 247
    schema = table.schema
    assert schema.field("EIN2").type == pa.string() and schema.field("F9_00_ORG_EIN").type == pa.string()
    assert schema.field("DUP_RTRN_X").type == pa.bool_() and schema.field("TAX_YEAR").type == pa.int16()
    assert schema.field("F9_00_TAX_PERIOD_END_DATE").type == pa.int32()
    assert (
        schema.field("F9_01_REV_TOT_CY").type == pa.int64()
        and schema.field("F9_04_AFS_CONSOL_X").type == pa.string()
    )
    first = table.slice(0, 1).to_pylist()[0]
    assert first["EIN2"] == "EIN-27-9156337" and first["F9_00_ORG_EIN"] == "279156337"
    assert first["F9_01_REV_TOT_CY"] == 136438 and first["F9_01_EXP_TOT_CY"] == 124109
    assert first["F9_00_TAX_PERIOD_END_DATE"] == 202212 and first["TAX_YEAR"] == 2022
    assert first["DUP_RTRN_X"] is False and first["F9_04_DAF_X"] == "N"
    assert table.column("F9_04_AFS_CONSOL_X").null_count == 45, "990-EZ rows leave full-990 items empty"
    assert table.column("DUP_RTRN_X").to_pylist().count(True) == 1
    assert table.column("F9_01_EXP_REV_LESS_EXP_CY").to_pylist().count(-110855) == 1


def test_a_later_year_is_found_by_probing_the_name_pattern(server, catalog_root, instance):
    server.replace_body(NCCS_2023, FIXTURE.replace(b",2022\n", b",2023\n"))
    result = run(server, catalog_root, instance)
    assert result.success, failure_message(result)
    manifest = Catalog(catalog_root).get_version("nccs_501c3_pz")
    assert manifest.extra["tax_year"] == 2023 and manifest.extra["found_by"] == "probe"


def test_old_latin1_year_with_extra_columns(server, catalog_root, instance):
    rows = rows_of(FIXTURE)
    rows[0].append("F9_00_ORG_NAME_L1")
    for i, row in enumerate(rows[1:]):
        row.append("CAFÉ DES ENFANTS" if i == 0 else f"ORG {i}")
    tax_year = rows[0].index("TAX_YEAR")
    for row in rows[1:]:
        row[tax_year] = "2019"
    server.replace_body(NCCS_2019, csv_bytes(rows, "latin-1"))
    result = run(server, catalog_root, instance, year=2019)
    assert result.success, failure_message(result)
    assert materialization(result)["unknown_columns"] == ["F9_00_ORG_NAME_L1"]
    catalog = Catalog(catalog_root)
    manifest = catalog.get_version("nccs_501c3_pz")
    assert manifest.extra["encoding"] == "latin-1" and manifest.extra["found_by"] == "pinned"
    table = pq.read_table(catalog.list_files("nccs_501c3_pz")[0].location)
    assert table.column("F9_00_ORG_NAME_L1")[0].as_py() == "CAFÉ DES ENFANTS"
    assert table.column("TAX_YEAR")[0].as_py() == 2019


def test_unchanged_file_makes_no_new_version(server, catalog_root, instance):
    assert run(server, catalog_root, instance).success
    again = run(server, catalog_root, instance)
    assert again.success and materialization(again)["status"] == "unchanged"
    assert len(Catalog(catalog_root).list_versions("nccs_501c3_pz")) == 1


def _without(column: str) -> bytes:
    rows = rows_of(FIXTURE)
    index = rows[0].index(column)
    return csv_bytes([r[:index] + r[index + 1 :] for r in rows])


@pytest.mark.parametrize(
    ("body", "fault", "problem"),
    [
        (None, Fault.html(), "an HTML page was served where text data was expected"),
        (None, Fault.empty(), "empty result: the file has a header but no rows"),
        (_without("EIN2"), None, "required column(s) missing: EIN2"),
        (
            FIXTURE.replace(b",136438,", b",13x438,"),
            None,
            "column F9_01_REV_TOT_CY: CSV conversion error to int64: invalid value '13x438'",
        ),
        (None, Fault.status_code(404), "HTTP 404"),
    ],
)
def test_bad_files_fail_and_keep_the_current_version(server, catalog_root, instance, body, fault, problem):
    assert run(server, catalog_root, instance).success
    before = Catalog(catalog_root).get_version("nccs_501c3_pz").version
    server.replace_body(NCCS_2022, body if body is not None else FIXTURE.replace(b"136438", b"136439"))
    if fault is not None:
        server.fail(NCCS_2022, fault)
    message = failure_message(run(server, catalog_root, instance))
    assert f"nccs_501c3_pz: {server.url}{NCCS_2022}: " in message and problem in message
    assert Catalog(catalog_root).get_version("nccs_501c3_pz").version == before


def test_duplicate_ein_among_non_duplicate_returns_fails_the_key_check(server, catalog_root, instance):
    rows = rows_of(FIXTURE)
    dup = rows[0].index("DUP_RTRN_X")
    for row in rows[1:]:
        row[dup] = "0"
    server.replace_body(NCCS_2022, csv_bytes(rows))
    result = run(server, catalog_root, instance)
    assert result.success, "a failed check is reported, it does not fail the run"
    assert check_results(result)["key_unique"] == (False, "ERROR")


def test_small_blocks_parse_to_the_same_table_and_errors_in_later_blocks_name_the_column(
    tmp_path, monkeypatch
):
    path = tmp_path / "core.csv"
    path.write_bytes(FIXTURE)
    whole = parse_core(path, str(tmp_path / "whole.parquet"), url="u")
    monkeypatch.setattr(line_blocks, "READ_BYTES", 1000)
    cut = parse_core(path, str(tmp_path / "cut.parquet"), url="u", block_size=2048, whole_file_bytes=0)
    assert whole.rows == cut.rows == len(rows_of(FIXTURE)) - 1
    assert pq.read_table(tmp_path / "cut.parquet").equals(pq.read_table(tmp_path / "whole.parquet"))

    rows = rows_of(FIXTURE)
    rows[-1][rows[0].index("F9_01_REV_TOT_CY")] = "13x438"
    path.write_bytes(csv_bytes(rows))
    with pytest.raises(SchemaError, match="column F9_01_REV_TOT_CY: CSV conversion error to int64"):
        parse_core(path, str(tmp_path / "bad.parquet"), url="u", block_size=2048, whole_file_bytes=0)

from __future__ import annotations

from datetime import date
from decimal import Decimal

import dagster as dg
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bgtasks.catalog import Catalog
from prebuilt_assets.errors import SchemaError
from prebuilt_assets.sources.fdic.assets import fdic_institutions, fdic_locations
from prebuilt_assets.sources.fdic.checks import CHECKS
from prebuilt_assets.sources.fdic.parse import parse_pages, records_to_batch
from prebuilt_assets.sources.fdic.schema import INSTITUTIONS
from prebuilt_assets.sources.fdic.settings import FdicResource
from tests.prebuilt_assets.conftest import (
    FAST,
    base_resources,
    check_results,
    failure_message,
    materialization,
)
from tests.prebuilt_assets.server import FIXTURES, Fault

INST = "/banks/institutions"
LOC = "/banks/locations"


def run(server, catalog_root, instance, asset=fdic_institutions, page_size=10, **fdic):
    resources = {
        **base_resources(catalog_root),
        "fdic": FdicResource(base_url=server.url, page_size=page_size, **fdic),
    }
    checks = [c for c in CHECKS if _targets(c, asset)]
    return dg.materialize([asset, *checks], resources=resources, instance=instance, raise_on_error=False)


def _targets(check: dg.AssetChecksDefinition, asset: dg.AssetsDefinition) -> bool:
    return all(k.asset_key == asset.key for k in check.check_keys)


def test_institutions_are_paged_typed_and_checked(server, catalog_root, instance):
    result = run(server, catalog_root, instance, api_key="s3cret")
    assert result.success, failure_message(result)
    assert materialization(result)["rows"] == 25
    assert all(passed for passed, _ in check_results(result).values()) and len(check_results(result)) == 3

    requests = server.requests_to(INST)
    assert [r.query["offset"] for r in requests] == [["0"], ["10"], ["20"]]
    assert all(r.query["limit"] == ["10"] and r.query["sort_by"] == ["CERT"] for r in requests)
    assert requests[0].query["api_key"] == ["s3cret"] and requests[0].headers["User-Agent"] == FAST.user_agent

    catalog = Catalog(catalog_root)
    manifest = catalog.get_version("fdic_institutions")
    assert manifest.extra["api_total"] == 25 and manifest.extra["pages"] == 3
    assert all("api_key=REDACTED" in u.url and "s3cret" not in u.url for u in manifest.upstream)

    table = pq.read_table(catalog.list_files("fdic_institutions")[0].location)
    assert table.num_columns == 158
    schema = table.schema
    assert schema.field("CERT").type == pa.int64() and schema.field("ACTIVE").type == pa.bool_()
    assert schema.field("EQ").type == pa.int64() and schema.field("ROA").type == pa.decimal128(12, 4)
    assert schema.field("ESTYMD").type == pa.date32() and schema.field("ZIP").type == pa.string()
    rows = {r["CERT"]: r for r in table.to_pylist()}
    assert len(rows) == 25
    state_street = rows[14]
    assert state_street["NAME"] == "State Street Bank and Trust Company"
    assert state_street["EQ"] == 27000465 and state_street["ASSET"] == 297412118
    assert state_street["ROA"] == Decimal("0.6200") and state_street["LATITUDE"] == 42.3613
    assert state_street["ESTYMD"] == date(1792, 1, 1) and state_street["ENDEFYMD"] == date(9999, 12, 31)
    assert state_street["CFPBENDDTE"] == date(9999, 12, 31) and state_street["CFPBEFFDTE"] == date(
        2011, 7, 21
    )
    assert state_street["ZIP"] == "02114" and state_street["ACTIVE"] is True and state_street["TRUST"] is True
    closed = sorted(r["NAME"] for r in rows.values() if r["ACTIVE"] is False)
    assert closed == ["First Republic Bank", "Signature Bank", "Silicon Valley Bank"]
    assert table.column("PRIORNAME2").null_count == 25, "declared fields no record carries are nulls"


def test_locations(server, catalog_root, instance):
    result = run(server, catalog_root, instance, asset=fdic_locations, page_size=15)
    assert result.success, failure_message(result)
    assert [r.query["offset"] for r in server.requests_to(LOC)] == [["0"], ["15"], ["30"]]
    assert server.requests_to(LOC)[0].query["sort_by"] == ["UNINUM"]
    table = pq.read_table(Catalog(catalog_root).list_files("fdic_locations")[0].location)
    assert table.num_rows == 37 and len(set(table.column("UNINUM").to_pylist())) == 37
    assert (
        table.schema.field("SERVTYPE").type == pa.int32() and table.schema.field("MAINOFF").type == pa.bool_()
    )
    main = next(r for r in table.to_pylist() if r["UNINUM"] == 377632)
    assert main["CERT"] == 628 and main["MAINOFF"] is True and main["SERVTYPE"] == 11
    assert main["SERVTYPE_DESC"] == "FULL SERVICE - BRICK AND MORTAR" and main["ESTYMD"] == date(1824, 1, 1)


def test_unchanged_records_make_no_new_version(server, catalog_root, instance):
    assert run(server, catalog_root, instance).success
    again = run(server, catalog_root, instance)
    assert again.success and materialization(again)["status"] == "unchanged"
    assert len(Catalog(catalog_root).list_versions("fdic_institutions")) == 1


def test_429_and_500_are_retried(server, catalog_root, instance):
    server.fail(INST, Fault.status_code(429, retry_after="0"), Fault.status_code(500))
    result = run(server, catalog_root, instance)
    assert result.success, failure_message(result)
    assert len(server.requests_to(INST)) == 5


@pytest.mark.parametrize(
    ("fault", "problem"),
    [
        (Fault.drop_records(2), "received 35 records but meta.total says 37"),
        (Fault.empty(), "empty result: meta.total is 0"),
        (Fault.html(), "an HTML page was served where json data was expected"),
        (Fault.status_code(403), "HTTP 403"),
    ],
)
def test_bad_responses_fail_and_keep_the_current_version(server, catalog_root, instance, fault, problem):
    assert run(server, catalog_root, instance, asset=fdic_locations, page_size=15).success
    before = Catalog(catalog_root).get_version("fdic_locations").version
    server.fail(LOC, fault)
    message = failure_message(run(server, catalog_root, instance, asset=fdic_locations, page_size=15))
    assert f"fdic_locations: {server.url}{LOC}?" in message and problem in message
    assert Catalog(catalog_root).get_version("fdic_locations").version == before


def test_values_that_do_not_fit_fail_naming_the_column():
    schema = pa.schema([pa.field("CERT", pa.int64()), pa.field("EQ", pa.int64())])
    with pytest.raises(SchemaError, match="column EQ: 'n/a' is not a valid int64"):
        records_to_batch([{"CERT": 1, "EQ": "n/a"}], schema, "fdic_institutions", "http://x")
    batch = records_to_batch(
        [{"CERT": "14", "EQ": "27000465"}, {"CERT": 15.0}], schema, "fdic_institutions", "x"
    )
    assert batch.to_pylist() == [{"CERT": 14, "EQ": 27000465}, {"CERT": 15, "EQ": None}]


def test_a_required_field_no_record_has_fails(tmp_path):
    page = FIXTURES / "fdic" / "institutions_offset0_limit10.json"
    with pytest.raises(SchemaError, match="required column\\(s\\) missing: NAME"):
        parse_pages(
            [page], {"CERT", "ACTIVE"}, str(tmp_path / "x.parquet"), spec=INSTITUTIONS, url="http://x"
        )

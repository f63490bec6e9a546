"""The IAPD assets against the recorded feeds served over HTTP on loopback at the real paths."""

from __future__ import annotations

import gzip
import io
import json
import logging
import zipfile
from collections import Counter
from datetime import date

import dagster as dg
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bgtasks.catalog import Catalog
from prebuilt_assets.sources.iapd.assets import iapd_representatives, iapd_sec_advisers, iapd_state_advisers
from prebuilt_assets.sources.iapd.checks import CHECKS
from prebuilt_assets.sources.iapd.resources import IapdResource
from tests.prebuilt_assets.conftest import (
    FAST,
    IAPD_DIR,
    IAPD_MANIFEST,
    base_resources,
    check_results,
    failure_message,
    materialization,
)
from tests.prebuilt_assets.server import FIXTURES, Fault

SEC_GZ = f"{IAPD_DIR}/IA_FIRM_SEC_Feed_12_02_2026.xml.gz"
INDVL_ZIP = f"{IAPD_DIR}/IA_INDVL_Feed_12_02_2026.xml.zip"
ALL_CHECKS = {
    "has_rows": (True, "ERROR"),
    "key_unique": (True, "ERROR"),
    "row_count_change": (True, "WARN"),
    "nested_matches_flat": (True, "ERROR"),
}


def run(server, catalog_root, instance, asset=iapd_sec_advisers):
    resources = {**base_resources(catalog_root), "iapd": IapdResource(base_url=server.url)}
    checks = [c for c in CHECKS if asset.key in {k.asset_key for k in c.check_keys}]
    return dg.materialize([asset, *checks], resources=resources, instance=instance, raise_on_error=False)


def flat(catalog_root: str, source: str) -> list[dict]:
    catalog = Catalog(catalog_root)
    return pq.read_table(catalog.list_files(source)[0].location).to_pylist()


def nested(catalog_root: str, source: str) -> list[dict]:
    location = Catalog(catalog_root).list_files(source)[0].location
    with open(location, "rb") as f:
        return [json.loads(line) for line in f]


def test_sec_feed_publishes_flat_parquet_and_nested_jsonl(server, catalog_root, instance):
    result = run(server, catalog_root, instance)
    assert result.success, failure_message(result)
    meta = materialization(result)
    assert meta["rows"] == meta["dagster/row_count"] == 35
    assert meta["status"] == "published" and meta["edition_date"] == "2026-12-02"
    assert meta["nested_source"] == "iapd_sec_advisers_nested"
    assert check_results(result) == ALL_CHECKS

    catalog = Catalog(catalog_root)
    manifest = catalog.get_version("iapd_sec_advisers")
    nested_manifest = catalog.get_version("iapd_sec_advisers_nested")
    assert (manifest.format, nested_manifest.format) == ("parquet", "jsonl")
    assert manifest.rows == nested_manifest.rows == 35
    assert manifest.content_hash == nested_manifest.content_hash
    assert manifest.extra["nested_version"] == nested_manifest.version == meta["nested_version"]
    assert manifest.extra["generated_on"] == "2026-12-02"
    assert [u.url for u in manifest.upstream] == [server.url + IAPD_MANIFEST, server.url + SEC_GZ]
    assert [f.path for f in catalog.list_files("iapd_sec_advisers_nested")] == [
        "iapd_sec_advisers_nested.jsonl"
    ]
    user_agents = {s.headers.get("User-Agent") for s in server.seen}
    assert user_agents == {FAST.user_agent}

    table = pq.read_table(catalog.list_files("iapd_sec_advisers")[0].location)
    types = dict(zip(table.schema.names, table.schema.types, strict=True))
    assert (types["firm_crd"], types["total_aum"], types["registration_date"]) == (
        pa.int64(),
        pa.int64(),
        pa.date32(),
    )
    assert types["umbrella_registration"] == pa.bool_()
    firms = {row["firm_crd"]: row for row in table.to_pylist()}
    assert Counter(row["firm_type"] for row in firms.values()) == {"Registered": 25, "ERA": 10}
    rabenold = firms[283882]
    assert (rabenold["sec_number"], rabenold["business_name"], rabenold["main_city"]) == (
        "801-135399",
        "RABENOLD ADVISORS, INC.",
        "WILLIAMSVILLE",
    )
    assert (rabenold["registration_status"], rabenold["registration_date"]) == ("APPROVED", date(2024, 5, 14))
    assert (rabenold["total_aum"], rabenold["discretionary_aum"], rabenold["total_accounts"]) == (
        35557038,
        34323124,
        117,
    )
    assert rabenold["total_employees"] == 4
    assert firms[105173]["total_aum"] is None, "an ERA files no Item 5"

    records = {r["Info"]["FirmCrdNb"]: r for r in nested(catalog_root, "iapd_sec_advisers_nested")}
    assert len(records) == 35
    assert records["283882"]["NoticeFiled"] == [{"RgltrCd": "NY", "St": "FILED", "Dt": "2025-05-02"}]
    assert records["283882"]["FormInfo"]["Part1A"]["Item5F"]["Q5F2C"] == "35557038"
    assert records["137689"]["FormInfo"]["Part1A"]["Item1"]["WebAddrs"] == ["HTTP://WWW.ENDCAP.COM"]


def test_state_feed_counts_state_registrations(server, catalog_root, instance):
    result = run(server, catalog_root, instance, iapd_state_advisers)
    assert result.success, failure_message(result)
    assert check_results(result) == ALL_CHECKS
    firms = {row["firm_crd"]: row for row in flat(catalog_root, "iapd_state_advisers")}
    assert len(firms) == 24
    falcon = firms[298000]
    assert (falcon["state_registration_count"], falcon["sec_number"], falcon["main_city"]) == (
        2,
        None,
        "MIAMI",
    )
    records = {r["Info"]["FirmCrdNb"]: r for r in nested(catalog_root, "iapd_state_advisers_nested")}
    assert records["298000"]["StateRgstn"]["Rgltrs"][0] == {"Cd": "FL", "St": "CONDREST", "Dt": "2009-09-07"}


def test_representatives_zip_ignores_and_reports_unknown_members(server, catalog_root, instance):
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(FIXTURES / "iapd" / "IA_INDVL_Feed_12_02_2026.xml.zip") as source,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for name in source.namelist():
            target.writestr(name, source.read(name))
        target.writestr("README.txt", b"feed notes")
    server.replace_body(INDVL_ZIP, buffer.getvalue())

    result = run(server, catalog_root, instance, iapd_representatives)
    assert result.success, failure_message(result)
    meta = materialization(result)
    assert meta["rows"] == 40 and meta["ignored_members"] == ["README.txt"]
    assert check_results(result) == ALL_CHECKS
    manifest = Catalog(catalog_root).get_version("iapd_representatives")
    assert manifest.extra["members"] == ["IA_Indvl_Feeds1.xml", "IA_Indvl_Feeds2.xml"]
    assert manifest.extra["ignored_members"] == ["README.txt"]
    warnings = [e.user_message for e in instance.all_logs(result.run_id) if e.level == logging.WARNING]
    assert any("ignored: README.txt" in w for w in warnings), warnings

    people = {row["individual_crd"]: row for row in flat(catalog_root, "iapd_representatives")}
    reynolds = people[4209133]
    assert (reynolds["last_name"], reynolds["primary_employer_crd"], reynolds["exam_count"]) == (
        "REYNOLDS",
        1137,
        2,
    )
    assert people[2530072]["has_disclosures"] is True
    records = {r["Info"]["indvlPK"]: r for r in nested(catalog_root, "iapd_representatives_nested")}
    assert records["2218902"]["Info"]["firstNm"] == "ZOË", "Latin-1 decoded by the XML declaration"
    assert records["4209133"]["CrntEmps"][0]["CrntRgstns"] == [
        {"regAuth": "IA", "regCat": "RA", "st": "APPROVED", "stDt": "2012-03-25"}
    ]
    assert records["4209133"]["DRPs"] == []


def test_an_unchanged_edition_makes_no_new_version(server, catalog_root, instance):
    assert run(server, catalog_root, instance).success
    again = run(server, catalog_root, instance)
    assert again.success and materialization(again)["status"] == "unchanged"
    catalog = Catalog(catalog_root)
    assert len(catalog.list_versions("iapd_sec_advisers")) == 1
    assert len(catalog.list_versions("iapd_sec_advisers_nested")) == 1


def _zero_firms() -> bytes:
    xml = (
        b'<?xml version="1.0" encoding="ISO-8859-1"?>\n<IAPDFirmSECReport GenOn="2026-12-03">\n'
        b"<Firms>\n</Firms>\n</IAPDFirmSECReport>\n"
    )
    return gzip.compress(xml)


@pytest.mark.parametrize(
    ("path", "fault", "body", "problem"),
    [
        (SEC_GZ, Fault.html(), None, "an HTML page was served where gzip data was expected"),
        (SEC_GZ, Fault.truncate(), None, "truncated gzip"),
        (SEC_GZ, None, _zero_firms(), "the edition holds zero firms"),
        (
            IAPD_MANIFEST,
            Fault.html(),
            None,
            "got an HTML page titled 'Service unavailable' instead of the manifest",
        ),
        (IAPD_MANIFEST, Fault.status_code(403), None, "HTTP 403"),
    ],
)
def test_bad_editions_fail_and_keep_both_current_versions(
    server, catalog_root, instance, path, fault, body, problem
):
    assert run(server, catalog_root, instance).success
    catalog = Catalog(catalog_root)
    before = (
        catalog.get_version("iapd_sec_advisers").version,
        catalog.get_version("iapd_sec_advisers_nested").version,
    )
    if body is not None:
        server.replace_body(path, body)
    if fault is not None:
        server.fail(path, fault)

    result = run(server, catalog_root, instance)

    message = failure_message(result)
    assert "Failure: iapd_sec_advisers: " in message and problem in message, message
    after = (
        catalog.get_version("iapd_sec_advisers").version,
        catalog.get_version("iapd_sec_advisers_nested").version,
    )
    assert after == before
    assert (
        len(catalog.list_versions("iapd_sec_advisers"))
        == len(catalog.list_versions("iapd_sec_advisers_nested"))
        == 1
    )


def test_a_firewall_refusal_says_what_to_do(server, catalog_root, instance):
    server.fail(IAPD_MANIFEST, Fault.status_code(403))
    message = failure_message(run(server, catalog_root, instance))
    assert "User-Agent" in message and "BGTASKS_PREBUILT_USER_AGENT" in message

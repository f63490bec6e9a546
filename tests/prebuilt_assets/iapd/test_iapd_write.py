"""JSONL and typed Parquet outputs of the recorded IAPD feeds."""

from __future__ import annotations

import gzip
import json
import re
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from prebuilt_assets.errors import SourceFormatError
from prebuilt_assets.sources.iapd.schema import FIRM_SCHEMA, REPRESENTATIVE_SCHEMA
from prebuilt_assets.sources.iapd.settings import REPRESENTATIVES, SEC_ADVISERS, STATE_ADVISERS
from prebuilt_assets.sources.iapd.write import write_feed

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures/prebuilt/iapd"
SEC_FEED = FIXTURES / "IA_FIRM_SEC_Feed_12_02_2026.xml.gz"
STATE_FEED = FIXTURES / "IA_FIRM_STATE_Feed_12_02_2026.xml.gz"
INDVL_FEED = FIXTURES / "IA_INDVL_Feed_12_02_2026.xml.zip"


def rows_by(table: pa.Table, key: str) -> dict[int, dict]:
    return {row[key]: row for row in table.to_pylist()}


def test_sec_feed_writes_one_line_and_one_typed_row_per_firm(tmp_path: Path) -> None:
    outputs = write_feed(SEC_ADVISERS, SEC_FEED, tmp_path / "firms.jsonl", tmp_path / "firms.parquet")

    assert (outputs.records, outputs.generated_on) == (35, date(2026, 12, 2))
    assert (outputs.members, outputs.ignored_members) == ((SEC_FEED.name,), ())
    lines = (tmp_path / "firms.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 35
    assert json.loads(lines[0])["Info"]["BusNm"] == "ENDEAVOUR CAPITAL"
    table = pq.read_table(tmp_path / "firms.parquet")
    assert table.schema.equals(FIRM_SCHEMA, check_metadata=False)
    assert table.schema.field("total_aum").metadata == {
        b"description": b"Item5F@Q5F2C: total regulatory AUM, USD"
    }
    assert table.num_rows == 35


def test_outputs_can_be_streams(tmp_path: Path) -> None:
    with (tmp_path / "r.jsonl").open("wb") as jsonl, (tmp_path / "r.parquet").open("wb") as parquet:
        outputs = write_feed(REPRESENTATIVES, INDVL_FEED, jsonl, parquet)

    assert outputs.records == 40
    assert len((tmp_path / "r.jsonl").read_bytes().splitlines()) == 40
    assert pq.read_table(tmp_path / "r.parquet").num_rows == 40


def test_firm_rows_carry_the_headline_values_with_real_types(tmp_path: Path) -> None:
    write_feed(SEC_ADVISERS, SEC_FEED, tmp_path / "f.jsonl", tmp_path / "f.parquet")
    firms = rows_by(pq.read_table(tmp_path / "f.parquet"), "firm_crd")

    rabenold = firms[283882]
    assert rabenold == {
        "generated_on": date(2026, 12, 2),
        "firm_crd": 283882,
        "sec_number": "801-135399",
        "sec_region": "NYRO",
        "business_name": "RABENOLD ADVISORS, INC.",
        "legal_name": "RABENOLD ADVISORS INC",
        "umbrella_registration": False,
        "main_street1": "5930 MAIN STREET",
        "main_street2": "SUITE 200",
        "main_city": "WILLIAMSVILLE",
        "main_state": "NY",
        "main_country": "United States",
        "main_postal_code": "14221-5794",
        "main_phone": "716-568-8790",
        "website": "HTTPS://WWW.LINKEDIN.COM/COMPANY/RABENOLD",
        "firm_type": "Registered",
        "registration_status": "APPROVED",
        "registration_date": date(2024, 5, 14),
        "notice_filing_count": 1,
        "state_registration_count": None,
        "state_era_count": None,
        "latest_filing_date": date(2026, 3, 27),
        "form_version": "10/2021",
        "organization_form": "Corporation",
        "total_employees": 4,
        "manages_portfolios": True,
        "discretionary_aum": 34323124,
        "non_discretionary_aum": 1233914,
        "total_aum": 35557038,
        "discretionary_accounts": 110,
        "non_discretionary_accounts": 7,
        "total_accounts": 117,
        "non_us_client_aum": 1538020,
    }
    assert firms[137689]["main_postal_code"] == "06830"  # text: the leading zero stays
    assert firms[137689]["main_street2"] is None
    era = firms[105173]
    assert (era["firm_type"], era["registration_status"], era["notice_filing_count"]) == ("ERA", "ACTIVE", 0)
    assert era["total_aum"] is None and era["total_employees"] is None


def test_state_firm_rows_count_state_registrations(tmp_path: Path) -> None:
    write_feed(STATE_ADVISERS, STATE_FEED, tmp_path / "s.jsonl", tmp_path / "s.parquet")
    table = pq.read_table(tmp_path / "s.parquet")
    firms = rows_by(table, "firm_crd")

    assert table.num_rows == 24
    falcon = firms[298000]
    assert (falcon["sec_number"], falcon["firm_type"], falcon["notice_filing_count"]) == (None, None, None)
    assert (falcon["state_registration_count"], falcon["state_era_count"]) == (2, None)
    assert falcon["total_aum"] == 11659963
    assert firms[301219]["state_era_count"] == 1
    assert sum(1 for row in firms.values() if row["state_era_count"]) == 5


def test_representatives_write_nested_jsonl_and_flat_rows(tmp_path: Path) -> None:
    outputs = write_feed(REPRESENTATIVES, INDVL_FEED, tmp_path / "r.jsonl", tmp_path / "r.parquet")

    assert outputs.records == 40
    assert outputs.members == ("IA_Indvl_Feeds1.xml", "IA_Indvl_Feeds2.xml")
    people = [json.loads(line) for line in (tmp_path / "r.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(people) == 40
    zoe = next(p for p in people if p["Info"]["indvlPK"] == "2218902")
    assert zoe["Info"]["firstNm"] == "ZOË"
    assert "ZOË".encode() in (tmp_path / "r.jsonl").read_bytes()  # UTF-8, not \u escapes
    table = pq.read_table(tmp_path / "r.parquet")
    assert table.schema.equals(REPRESENTATIVE_SCHEMA, check_metadata=False)
    rows = rows_by(table, "individual_crd")
    assert rows[4209133] == {
        "generated_on": date(2026, 12, 2),
        "individual_crd": 4209133,
        "last_name": "REYNOLDS",
        "first_name": "DEBORAH",
        "middle_name": "R",
        "suffix_name": None,
        "active_ag_registration": True,
        "profile_url": "https://adviserinfo.sec.gov/individual/summary/4209133",
        "current_employer_count": 1,
        "primary_employer_name": "PRINCIPAL SECURITIES, INC.",
        "primary_employer_crd": 1137,
        "primary_employer_city": "DES MOINES",
        "primary_employer_state": "IA",
        "current_registration_count": 1,
        "exam_count": 2,
        "previous_registration_count": 1,
        "has_disclosures": False,
    }
    assert rows[2530072]["has_disclosures"] is True
    assert rows[2120640]["suffix_name"] == "III"


def test_parquet_is_written_in_batches(tmp_path: Path) -> None:
    write_feed(SEC_ADVISERS, SEC_FEED, tmp_path / "f.jsonl", tmp_path / "f.parquet", batch_rows=10)

    metadata = pq.ParquetFile(tmp_path / "f.parquet").metadata
    assert (metadata.num_rows, metadata.num_row_groups) == (35, 4)


def test_a_failed_feed_leaves_no_output_behind(tmp_path: Path) -> None:
    data = SEC_FEED.read_bytes()
    truncated = tmp_path / SEC_FEED.name
    truncated.write_bytes(data[: len(data) * 2 // 3])

    with pytest.raises(SourceFormatError, match="truncated"):
        write_feed(SEC_ADVISERS, truncated, tmp_path / "f.jsonl", tmp_path / "f.parquet")

    assert not (tmp_path / "f.jsonl").exists()
    assert not (tmp_path / "f.parquet").exists()


def test_a_value_of_the_wrong_type_fails_naming_the_firm_and_attribute(tmp_path: Path) -> None:
    xml = gzip.decompress(SEC_FEED.read_bytes()).replace(b'Q5F2C="35557038"', b'Q5F2C="35.5M"')
    path = tmp_path / SEC_FEED.name
    path.write_bytes(gzip.compress(xml))

    with pytest.raises(
        SourceFormatError, match=r"record with CRD 283882: Q5F2C='35.5M' is not a whole number"
    ):
        write_feed(SEC_ADVISERS, path, tmp_path / "f.jsonl", tmp_path / "f.parquet")
    assert not (tmp_path / "f.parquet").exists()


@pytest.mark.parametrize(
    ("find", "replace", "problem"),
    [
        (b'Q5F1="Y"', b'Q5F1="maybe"', "Q5F1='maybe' is not Y or N"),
        (b'Dt="2024-05-14"', b'Dt="14/05/2024"', "Dt='14/05/2024' is not a YYYY-MM-DD date"),
        (b'FirmCrdNb="283882"', b'FirmCrdNb=" "', "FirmCrdNb is missing"),
    ],
)
def test_values_that_do_not_convert_fail_naming_the_attribute(
    tmp_path: Path, find: bytes, replace: bytes, problem: str
) -> None:
    xml = gzip.decompress(SEC_FEED.read_bytes())
    start = xml.index(b'FirmCrdNb="283882"')
    firm_start = xml.rindex(b"<Firm>", 0, start)
    firm_end = xml.index(b"</Firm>", start)
    firm = xml[firm_start:firm_end].replace(find, replace, 1)
    path = tmp_path / SEC_FEED.name
    path.write_bytes(gzip.compress(xml[:firm_start] + firm + xml[firm_end:]))

    with pytest.raises(SourceFormatError, match=re.escape(problem)):
        write_feed(SEC_ADVISERS, path, tmp_path / "f.jsonl", tmp_path / "f.parquet")


def test_blank_values_are_null_and_text_is_kept_as_written(tmp_path: Path) -> None:
    xml = gzip.decompress(SEC_FEED.read_bytes()).replace(b'Strt2="SUITE 200"', b'Strt2="  "', 1)
    path = tmp_path / SEC_FEED.name
    path.write_bytes(gzip.compress(xml))

    write_feed(SEC_ADVISERS, path, tmp_path / "f.jsonl", tmp_path / "f.parquet")

    firm = rows_by(pq.read_table(tmp_path / "f.parquet"), "firm_crd")[283882]
    assert firm["main_street2"] is None and firm["main_postal_code"] == "14221-5794"


def test_an_element_where_an_attribute_was_expected_is_not_text(tmp_path: Path) -> None:
    xml = (
        b'<?xml version="1.0" encoding="ISO-8859-1"?><IAPDFirmSECReport GenOn="2026-12-02"><Firms>'
        b'<Firm><Info FirmCrdNb="1" BusNm="ONE"/></Firm>'
        b'<Firm><Info FirmCrdNb="2"><BusNm kind="x"/></Info></Firm>'
        b"</Firms></IAPDFirmSECReport>"
    )
    path = tmp_path / SEC_FEED.name
    path.write_bytes(gzip.compress(xml))

    write_feed(SEC_ADVISERS, path, tmp_path / "f.jsonl", tmp_path / "f.parquet")

    firms = rows_by(pq.read_table(tmp_path / "f.parquet"), "firm_crd")
    assert (firms[1]["business_name"], firms[2]["business_name"]) == ("ONE", None)
    lines = (tmp_path / "f.jsonl").read_text().splitlines()
    assert json.loads(lines[1])["Info"] == {"FirmCrdNb": "2", "BusNm": {"kind": "x"}}

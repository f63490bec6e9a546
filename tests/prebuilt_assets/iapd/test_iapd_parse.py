"""Streaming the recorded IAPD feeds into nested records, and each way a download can be bad."""

from __future__ import annotations

import gzip
import zipfile
from collections import Counter
from datetime import date
from pathlib import Path
from xml.etree import ElementTree

import pytest

from prebuilt_assets.errors import SourceFormatError
from prebuilt_assets.sources.iapd import parse
from prebuilt_assets.sources.iapd.parse import iter_records, zip_members
from prebuilt_assets.sources.iapd.settings import REPRESENTATIVES, SEC_ADVISERS, STATE_ADVISERS

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures/prebuilt/iapd"
SEC_FEED = FIXTURES / "IA_FIRM_SEC_Feed_12_02_2026.xml.gz"
STATE_FEED = FIXTURES / "IA_FIRM_STATE_Feed_12_02_2026.xml.gz"
INDVL_FEED = FIXTURES / "IA_INDVL_Feed_12_02_2026.xml.zip"
BLOCK_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>Request Rejected</title></head>"
    b"<body>The requested URL was rejected. Please consult with your administrator.</body></html>"
)


def by_crd(records: list[parse.FeedRecord], attribute: str) -> dict[str, dict]:
    return {record.data["Info"][attribute]: record.data for record in records}


def test_sec_feed_yields_every_firm_with_its_nesting() -> None:
    records = list(iter_records(SEC_ADVISERS, SEC_FEED))

    assert len(records) == 35
    assert Counter(r.data["Rgstn"]["FirmType"] for r in records) == {"Registered": 25, "ERA": 10}
    assert {r.generated_on for r in records} == {date(2026, 12, 2)}
    assert {r.member for r in records} == {SEC_FEED.name}
    rabenold = by_crd(records, "FirmCrdNb")["283882"]
    assert rabenold["Info"] == {
        "SECRgnCD": "NYRO",
        "FirmCrdNb": "283882",
        "SECNb": "801-135399",
        "BusNm": "RABENOLD ADVISORS, INC.",
        "LegalNm": "RABENOLD ADVISORS INC",
        "UmbrRgstn": "N",
    }
    assert rabenold["MailingAddr"]["Strt1"] == "PO BOX 1428"
    assert rabenold["NoticeFiled"] == [{"RgltrCd": "NY", "St": "FILED", "Dt": "2025-05-02"}]
    item1 = rabenold["FormInfo"]["Part1A"]["Item1"]
    assert item1["WebAddrs"] == [
        "HTTPS://WWW.LINKEDIN.COM/COMPANY/RABENOLD",
        "HTTP://WWW.RABENOLDADVISORS.COM",
    ]
    assert rabenold["FormInfo"]["Part1A"]["Item5F"]["Q5F2C"] == "35557038"


def test_empty_elements_keep_their_shape() -> None:
    records = by_crd(list(iter_records(SEC_ADVISERS, SEC_FEED)), "FirmCrdNb")

    endeavour = records["137689"]
    assert endeavour["MailingAddr"] == {}
    assert endeavour["FormInfo"]["Part1A"]["Item1"]["WebAddrs"] == ["HTTP://WWW.ENDCAP.COM"]
    era = records["105173"]  # MAPLE AVENUE FAMILY OFFICE, an exempt reporting adviser
    assert era["NoticeFiled"] == []
    assert "Item5F" not in era["FormInfo"]["Part1A"]
    assert era["FormInfo"]["Part1A"]["Item2B"] == {"Q2B1": "N", "Q2B2": "N", "Q2B3": "N"}


def test_state_feed_has_state_registrations_and_era_regulators() -> None:
    records = list(iter_records(STATE_ADVISERS, STATE_FEED))

    assert len(records) == 24
    assert Counter("StateRgstn" in r.data for r in records) == {True: 19, False: 5}
    falcon = by_crd(records, "FirmCrdNb")["298000"]
    assert falcon["StateRgstn"] == {
        "Rgltrs": [
            {"Cd": "FL", "St": "CONDREST", "Dt": "2009-09-07"},
            {"Cd": "NE", "St": "APPROVED", "Dt": "2018-02-08"},
        ]
    }
    assert "SECNb" not in falcon["Info"]
    era = by_crd(records, "FirmCrdNb")["301219"]
    assert era["ERA"]["Rgltrs"][0]["St"] == "ACTIVE"


def test_representatives_zip_streams_both_members_in_order() -> None:
    records = list(iter_records(REPRESENTATIVES, INDVL_FEED))

    assert len(records) == 40
    assert Counter(r.member for r in records) == {"IA_Indvl_Feeds1.xml": 20, "IA_Indvl_Feeds2.xml": 20}
    assert records[0].member == "IA_Indvl_Feeds1.xml"
    reynolds = by_crd(records, "indvlPK")["4209133"]
    assert reynolds["Info"]["lastNm"] == "REYNOLDS"
    employer = reynolds["CrntEmps"][0]
    assert (employer["orgNm"], employer["orgPK"]) == ("PRINCIPAL SECURITIES, INC.", "1137")
    assert employer["CrntRgstns"] == [
        {"regAuth": "IA", "regCat": "RA", "st": "APPROVED", "stDt": "2012-03-25"}
    ]
    assert employer["BrnchOfLocs"][0]["city"] == "DES MOINES"
    assert [e["exmCd"] for e in reynolds["Exms"]] == ["S24", "S7"]
    assert reynolds["PrevRgstns"][0]["BrnchOfLocs"] == [{"city": "MIAMI", "state": "FL"}]
    assert "toDt" not in reynolds["EmpHss"][1]  # the current employer has no end date
    assert reynolds["DRPs"] == []
    assert "OthrNms" not in reynolds


def test_latin1_names_are_decoded_by_the_xml_declaration() -> None:
    records = by_crd(list(iter_records(REPRESENTATIVES, INDVL_FEED)), "indvlPK")

    assert records["2218902"]["Info"]["firstNm"] == "ZOË"
    assert records["2120640"]["Info"]["lastNm"] == "MÜLLER"
    assert records["2563505"]["Info"]["firstNm"] == "FRANÇOIS"


def test_disclosure_flags_are_kept_per_drp() -> None:
    records = by_crd(list(iter_records(REPRESENTATIVES, INDVL_FEED)), "indvlPK")

    assert records["2530072"]["DRPs"][0]["hasRegAction"] == "Y"
    assert records["2530072"]["OthrNms"] == [{"lastNm": "ANDERSON", "firstNm": "CHRISTOPHER"}]


def test_unknown_zip_members_are_ignored_and_reported(tmp_path: Path) -> None:
    feed = tmp_path / "IA_INDVL_Feed_12_02_2026.xml.zip"
    with zipfile.ZipFile(INDVL_FEED) as source, zipfile.ZipFile(feed, "w") as target:
        target.writestr("IA_Indvl_Feeds10.xml", source.read("IA_Indvl_Feeds2.xml"))
        target.writestr("IA_Indvl_Feeds1.xml", source.read("IA_Indvl_Feeds1.xml"))
        target.writestr("README.txt", b"not data")
        target.writestr("__MACOSX/._IA_Indvl_Feeds1.xml", b"\x00\x05\x16\x07")

    members = zip_members(REPRESENTATIVES, feed)
    records = list(iter_records(REPRESENTATIVES, feed))

    assert members.parsed == ("IA_Indvl_Feeds1.xml", "IA_Indvl_Feeds10.xml")
    assert members.ignored == ("README.txt", "__MACOSX/._IA_Indvl_Feeds1.xml")
    assert len(records) == 40


def test_comments_and_unexpected_repeats_do_not_break_the_shape(tmp_path: Path) -> None:
    xml = (
        b'<?xml version="1.0" encoding="ISO-8859-1"?><IAPDFirmSECReport GenOn="2026-12-02"><Firms>'
        b'<Firm><!-- note --><Info FirmCrdNb="1"/><Alias>A</Alias><Alias>B</Alias>'
        b'<WebAddrs><!-- none --></WebAddrs><Note kind="x">text</Note></Firm></Firms></IAPDFirmSECReport>'
    )
    path = write_gzip(tmp_path, xml)

    [record] = iter_records(SEC_ADVISERS, path)

    assert record.data == {
        "Info": {"FirmCrdNb": "1"},
        "Alias": ["A", "B"],
        "WebAddrs": [],
        "Note": {"kind": "x", "#text": "text"},
    }


def write_gzip(tmp_path: Path, xml: bytes, name: str = "IA_FIRM_SEC_Feed_12_02_2026.xml.gz") -> Path:
    path = tmp_path / name
    path.write_bytes(gzip.compress(xml))
    return path


def test_truncated_gzip_fails_clearly(tmp_path: Path) -> None:
    data = SEC_FEED.read_bytes()
    path = tmp_path / SEC_FEED.name
    path.write_bytes(data[: len(data) * 2 // 3])

    with pytest.raises(SourceFormatError, match=r"iapd_sec_advisers: the gzip stream is truncated"):
        list(iter_records(SEC_ADVISERS, path, source_url="https://example.test/IA_FIRM_SEC.xml.gz"))


def test_block_page_instead_of_gzip_fails_clearly(tmp_path: Path) -> None:
    path = tmp_path / SEC_FEED.name
    path.write_bytes(BLOCK_PAGE)

    with pytest.raises(SourceFormatError) as caught:
        list(iter_records(SEC_ADVISERS, path))

    assert "expected a gzip file, got an HTML page titled 'Request Rejected'" in str(caught.value)
    assert caught.value.location == SEC_FEED.name


def test_block_page_instead_of_zip_fails_clearly(tmp_path: Path) -> None:
    path = tmp_path / INDVL_FEED.name
    path.write_bytes(BLOCK_PAGE)

    with pytest.raises(SourceFormatError, match="expected a zip file, got an HTML page"):
        list(iter_records(REPRESENTATIVES, path))


def test_gzipped_block_page_fails_clearly(tmp_path: Path) -> None:
    path = write_gzip(tmp_path, BLOCK_PAGE)

    with pytest.raises(
        SourceFormatError, match="got an HTML page titled 'Request Rejected' instead of the XML"
    ):
        list(iter_records(SEC_ADVISERS, path))


def test_truncated_zip_fails_clearly(tmp_path: Path) -> None:
    data = INDVL_FEED.read_bytes()
    path = tmp_path / INDVL_FEED.name
    path.write_bytes(data[: len(data) // 2])

    with pytest.raises(SourceFormatError, match="the zip is truncated or corrupt"):
        list(iter_records(REPRESENTATIVES, path))


def test_zero_firm_edition_fails_clearly(tmp_path: Path) -> None:
    xml = b'<?xml version="1.0" encoding="ISO-8859-1"?>\n<IAPDFirmSECReport GenOn="2026-12-02">\n<Firms>\n</Firms>\n</IAPDFirmSECReport>\n'
    path = write_gzip(tmp_path, xml)

    with pytest.raises(SourceFormatError, match="iapd_sec_advisers: the edition holds zero firms"):
        list(iter_records(SEC_ADVISERS, path))


def test_zip_without_data_members_fails_clearly(tmp_path: Path) -> None:
    path = tmp_path / INDVL_FEED.name
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("README.txt", b"nothing here")

    with pytest.raises(SourceFormatError, match=r"no data member in the zip \(members: \['README.txt'\]\)"):
        list(iter_records(REPRESENTATIVES, path))


def test_a_document_of_another_feed_fails_naming_both_roots(tmp_path: Path) -> None:
    path = tmp_path / SEC_FEED.name
    path.write_bytes(STATE_FEED.read_bytes())

    with pytest.raises(
        SourceFormatError, match=r"root element is <IAPDFirmStateReport>, expected <IAPDFirmSECReport>"
    ):
        list(iter_records(SEC_ADVISERS, path))


def test_malformed_xml_fails_naming_the_member(tmp_path: Path) -> None:
    path = tmp_path / INDVL_FEED.name
    with zipfile.ZipFile(INDVL_FEED) as source, zipfile.ZipFile(path, "w") as target:
        target.writestr("IA_Indvl_Feeds1.xml", source.read("IA_Indvl_Feeds1.xml"))
        target.writestr("IA_Indvl_Feeds2.xml", source.read("IA_Indvl_Feeds2.xml")[:5000])

    with pytest.raises(SourceFormatError, match=r"member IA_Indvl_Feeds2.xml\]$") as caught:
        list(iter_records(REPRESENTATIVES, path))
    assert "malformed XML" in caught.value.problem


def test_a_renamed_record_element_stops_before_the_whole_document_is_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parse, "_MAX_BYTES_BEFORE_FIRST_RECORD", 100_000)
    firms = b"".join(b'<Adviser><Info FirmCrdNb="%d"/></Adviser>\n' % n for n in range(20_000))
    xml = (
        b'<?xml version="1.0"?><IAPDFirmSECReport GenOn="2026-12-02"><Firms>'
        + firms
        + b"</Firms></IAPDFirmSECReport>"
    )
    path = write_gzip(tmp_path, xml)

    with pytest.raises(
        SourceFormatError, match=r"no <Firm> element in the first [\d,]+ bytes; the feed's layout changed"
    ):
        list(iter_records(SEC_ADVISERS, path))


def test_element_to_dict_on_a_lone_element() -> None:
    element = ElementTree.fromstring(
        b'<Item1 Q1I="Y"><WebAddrs><WebAddr>HTTP://X</WebAddr></WebAddrs></Item1>'
    )

    assert parse.element_to_dict(element) == {"Q1I": "Y", "WebAddrs": ["HTTP://X"]}


def test_records_split_across_many_small_feeds_come_out_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    whole = [r.data for r in iter_records(REPRESENTATIVES, INDVL_FEED)]
    monkeypatch.setattr(parse, "_CHUNK_BYTES", 97)
    monkeypatch.setattr(parse, "_NATIVE_CHUNK_BYTES", 97)

    pieces = [r.data for r in iter_records(REPRESENTATIVES, INDVL_FEED)]

    assert pieces == whole and len(pieces) == 40


def test_records_outside_the_container_fail_instead_of_being_dropped(tmp_path: Path) -> None:
    xml = (
        b'<?xml version="1.0" encoding="ISO-8859-1"?><IAPDFirmSECReport GenOn="2026-12-02">'
        b'<Firms><Firm><Info FirmCrdNb="1"/></Firm></Firms>'
        b'<Other><Firm><Info FirmCrdNb="2"/></Firm></Other></IAPDFirmSECReport>'
    )
    path = write_gzip(tmp_path, xml)

    with pytest.raises(SourceFormatError, match=r"1 <Firm> element\(s\) outside the record container"):
        list(iter_records(SEC_ADVISERS, path))

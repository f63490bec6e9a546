"""Discovery of the current IAPD edition from the recorded manifest."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from prebuilt_assets.errors import SourceFormatError
from prebuilt_assets.sources.iapd.discover import read_manifest
from prebuilt_assets.sources.iapd.settings import REPRESENTATIVES, SEC_ADVISERS, STATE_ADVISERS

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures/prebuilt/iapd"
BASE = "https://reports.adviserinfo.sec.gov/reports/CompilationReports/"


def test_manifest_gives_the_three_feed_urls_and_the_edition_date() -> None:
    edition = read_manifest((FIXTURES / "CompilationReports.manifest.json").read_bytes())

    assert edition.edition_date == date(2026, 12, 2)
    assert {feed: file.url for feed, file in edition.files.items()} == {
        "iapd_sec_advisers": BASE + "IA_FIRM_SEC_Feed_12_02_2026.xml.gz",
        "iapd_state_advisers": BASE + "IA_FIRM_STATE_Feed_12_02_2026.xml.gz",
        "iapd_representatives": BASE + "IA_INDVL_Feed_12_02_2026.xml.zip",
    }
    assert edition.file_for(REPRESENTATIVES).name == "IA_INDVL_Feed_12_02_2026.xml.zip"


def test_file_names_resolve_against_the_manifest_url() -> None:
    manifest = (FIXTURES / "CompilationReports.manifest.json").read_bytes()
    local = "http://127.0.0.1:8123/reports/CompilationReports/CompilationReports.manifest.json"

    edition = read_manifest(manifest, local)

    assert edition.file_for(SEC_ADVISERS).url == (
        "http://127.0.0.1:8123/reports/CompilationReports/IA_FIRM_SEC_Feed_12_02_2026.xml.gz"
    )


def test_date_falls_back_to_the_file_name_and_the_newest_file_wins() -> None:
    manifest = json.dumps(
        {
            "files": [
                {"name": "IA_FIRM_SEC_Feed_09_16_2026.xml.gz", "size": "78 MB"},
                {"name": "IA_FIRM_SEC_Feed_09_17_2026.xml.gz", "size": "78 MB", "date": "09/17/2026"},
                {"name": "readme.txt"},
            ]
        }
    ).encode()

    edition = read_manifest(manifest)

    assert edition.file_for(SEC_ADVISERS).name == "IA_FIRM_SEC_Feed_09_17_2026.xml.gz"
    assert edition.edition_date == date(2026, 9, 17)


def test_a_feed_missing_from_the_manifest_fails_naming_what_is_listed() -> None:
    manifest = b'{"files":[{"name":"IA_FIRM_SEC_Feed_12_02_2026.xml.gz","date":"12/02/2026"}]}'
    edition = read_manifest(manifest)

    with pytest.raises(SourceFormatError, match=r"no IA_FIRM_STATE_Feed_\* file .*IA_FIRM_SEC_Feed_12_02"):
        edition.file_for(STATE_ADVISERS)


def test_firewall_block_page_instead_of_the_manifest_fails_clearly() -> None:
    page = b"<html><head><title>Request Rejected</title></head><body>The requested URL was rejected.</body></html>"

    with pytest.raises(SourceFormatError) as caught:
        read_manifest(page)

    message = str(caught.value)
    assert "HTML page titled 'Request Rejected'" in message
    assert "User-Agent" in message
    assert "CompilationReports.manifest.json" in message


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"not json", "not JSON"),
        (b'{"reports": []}', 'no "files" list'),
        (b'{"files": [{"name": "something_else.zip"}]}', "lists none of the feeds"),
        (b'{"files": [{"name": "IA_FIRM_SEC_Feed_latest.xml.gz", "date": "soon"}]}', "no edition date"),
    ],
)
def test_malformed_manifests_fail_clearly(body: bytes, problem: str) -> None:
    with pytest.raises(SourceFormatError, match=problem):
        read_manifest(body)


def test_a_byte_order_mark_before_the_json_is_tolerated() -> None:
    manifest = b"\xef\xbb\xbf" + (FIXTURES / "CompilationReports.manifest.json").read_bytes()

    assert read_manifest(manifest).edition_date == date(2026, 12, 2)


def test_an_xhtml_block_page_is_recognised_too() -> None:
    page = (
        b'<?xml version="1.0"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0//EN" "x"><html><body/></html>'
    )

    with pytest.raises(SourceFormatError, match="got an HTML page instead of the manifest JSON"):
        read_manifest(page)

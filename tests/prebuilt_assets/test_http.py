from __future__ import annotations

import gzip
import time
from datetime import UTC, datetime

import pytest

from prebuilt_assets.errors import ContentError, FetchError
from prebuilt_assets.http import (
    Downloaded,
    Expect,
    HttpClient,
    NotModified,
    Validators,
    parse_retry_after,
    redact,
)
from tests.prebuilt_assets.conftest import ECB_DIR, ECB_LANDING, FAST
from tests.prebuilt_assets.server import FIXTURES, Fault

GZ = f"{ECB_DIR}/mfi_csv_261202.csv.gz"


def test_download_streams_to_disk_with_hashes_validators_and_progress(server, http, tmp_path):
    seen: list[tuple[int, int | None]] = []
    got = http.download(
        server.url + GZ, tmp_path / "f.gz", expect=Expect.GZIP, progress=lambda n, t: seen.append((n, t))
    )
    assert isinstance(got, Downloaded)
    raw = (FIXTURES / "ecb" / "mfi_csv_261202.csv.gz").read_bytes()
    assert got.path.read_bytes() == raw and got.bytes == len(raw)
    assert got.content_bytes == len(gzip.decompress(raw))
    plain = http.download(server.url + f"{ECB_DIR}/mfi_csv_261202.csv", tmp_path / "f.csv")
    assert isinstance(plain, Downloaded)
    assert plain.content_sha256 == got.content_sha256, "gz and plain variants hash the same content"
    assert got.etag and got.last_modified
    assert seen[-1] == (len(raw), len(raw))
    assert server.requests_to(GZ)[0].headers["User-Agent"] == FAST.user_agent


def test_conditional_get_answers_not_modified(server, http, tmp_path):
    first = http.download(server.url + GZ, tmp_path / "a.gz", expect=Expect.GZIP)
    again = http.download(
        server.url + GZ, tmp_path / "b.gz", expect=Expect.GZIP, validators=Validators(etag=first.etag)
    )
    assert isinstance(again, NotModified)


def test_429_waits_for_retry_after_then_succeeds(server, http, tmp_path):
    server.fail(GZ, Fault.status_code(429, retry_after="1"))
    start = time.monotonic()
    got = http.download(server.url + GZ, tmp_path / "f.gz", expect=Expect.GZIP)
    assert isinstance(got, Downloaded)
    assert time.monotonic() - start >= 1.0
    assert len(server.requests_to(GZ)) == 2


def test_500_then_success_and_a_cut_connection_are_retried(server, http, tmp_path):
    server.fail(GZ, Fault.status_code(500), Fault.cut_connection())
    got = http.download(server.url + GZ, tmp_path / "f.gz", expect=Expect.GZIP)
    assert isinstance(got, Downloaded) and len(server.requests_to(GZ)) == 3


def test_persistent_5xx_fails_naming_source_url_and_status(server, http, tmp_path):
    server.fail(GZ, *[Fault.status_code(503)] * 3)
    with pytest.raises(FetchError) as err:
        http.download(server.url + GZ, tmp_path / "f.gz", expect=Expect.GZIP)
    assert str(err.value) == f"test_source: {server.url}{GZ}: HTTP 503 Service Unavailable after 3 tries"


def test_retry_after_longer_than_the_limit_fails_at_once(server, http, tmp_path):
    server.fail(GZ, Fault.status_code(429, retry_after="3600"))
    with pytest.raises(FetchError, match="retry after 3600 s, longer than the 5 s limit"):
        http.download(server.url + GZ, tmp_path / "f.gz", expect=Expect.GZIP)


def test_404_is_not_retried(server, http, tmp_path):
    with pytest.raises(FetchError, match="HTTP 404"):
        http.download(server.url + f"{ECB_DIR}/mfi_csv_200101.csv", tmp_path / "f.csv")
    assert len(server.requests_to(f"{ECB_DIR}/mfi_csv_200101.csv")) == 1
    assert not http.exists(server.url + f"{ECB_DIR}/mfi_csv_200101.csv")
    assert http.exists(server.url + GZ)


def test_html_with_status_200_is_refused_as_data(server, http, tmp_path):
    server.fail(GZ, Fault.html())
    with pytest.raises(ContentError, match="an HTML page was served where gzip data was expected"):
        http.download(server.url + GZ, tmp_path / "f.gz", expect=Expect.GZIP)
    assert http.get(server.url + ECB_LANDING).text.startswith("<!DOCTYPE html>")


def test_truncated_gzip_is_refused(server, http, tmp_path):
    server.fail(GZ, Fault.truncate())
    with pytest.raises(ContentError) as err:
        http.download(server.url + GZ, tmp_path / "f.gz", expect=Expect.GZIP)
    assert "truncated gzip" in str(err.value) and GZ in str(err.value)


def test_connection_refused_is_a_network_error(tmp_path):
    client = HttpClient("test_source", FAST)
    with pytest.raises(FetchError, match="network error after 3 tries"):
        client.download("http://127.0.0.1:9/nothing", tmp_path / "x")


def test_retry_after_parsing_and_redaction():
    now = datetime(2026, 12, 2, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("Wed, 02 Dec 2026 12:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None
    assert redact("https://api.fdic.gov/banks/institutions", {"limit": 10, "api_key": "s3cret"}) == (
        "https://api.fdic.gov/banks/institutions?limit=10&api_key=REDACTED"
    )

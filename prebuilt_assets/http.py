"""The one HTTP session of the prebuilt fetchers.

Timeouts on connect and read, a declared User-Agent, retries with exponential backoff on 429, 5xx
and network errors (honouring ``Retry-After`` in seconds or as an HTTP date), conditional GETs, and
downloads streamed to disk with a progress callback and content checks (an HTML page served as data,
an empty body, a truncated gzip). Assets never import ``requests``; they call this class.
"""

from __future__ import annotations

import hashlib
import random
import time
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import Enum
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import requests

from bgtasks.catalog import Upstream
from prebuilt_assets.errors import ContentError, FetchError

CHUNK = 1024 * 1024
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504, 507, 508, 509, 520, 521, 522, 523, 524})
SECRET_PARAMS = frozenset({"api_key", "apikey", "key", "token"})

Progress = Callable[[int, int | None], None]


class Expect(Enum):
    """What a response body must look like."""

    HTML = "html"  # a page we scrape
    JSON = "json"
    TEXT = "text"  # CSV/TSV in any encoding
    GZIP = "gzip"
    ZIP = "zip"  # a zip archive (the IAPD representatives feed)
    XLSX = "xlsx"  # an Office Open XML workbook, itself a zip


@dataclass(frozen=True)
class HttpSettings:
    user_agent: str
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    max_attempts: int = 5
    backoff_seconds: float = 2.0
    max_backoff_seconds: float = 120.0
    max_retry_after_seconds: float = 600.0

    @classmethod
    def from_settings(cls) -> HttpSettings:
        from bgtasks.settings import get_settings

        s = get_settings()
        return cls(
            user_agent=s.prebuilt_user_agent,
            connect_timeout=s.prebuilt_connect_timeout,
            read_timeout=s.prebuilt_read_timeout,
            max_attempts=s.prebuilt_max_attempts,
            backoff_seconds=s.prebuilt_backoff_seconds,
            max_retry_after_seconds=s.prebuilt_max_retry_after_seconds,
        )


@dataclass(frozen=True)
class Validators:
    """What a previous response said about an object, for a conditional GET."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class Page:
    """A small response read whole (a landing page, an API page)."""

    url: str
    body: bytes
    etag: str | None
    last_modified: str | None

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def upstream(self) -> Upstream:
        return Upstream(
            url=self.url,
            etag=self.etag,
            last_modified=self.last_modified,
            bytes=len(self.body),
            sha256=hashlib.sha256(self.body).hexdigest(),
        )


@dataclass(frozen=True)
class Downloaded:
    """A body streamed to ``path``. For gzip, ``content_sha256``/``content_bytes`` are of the
    decompressed stream (so the .gz and plain variants of one file hash the same)."""

    url: str
    path: Path
    bytes: int
    sha256: str
    etag: str | None
    last_modified: str | None
    content_sha256: str
    content_bytes: int

    def upstream(self) -> Upstream:
        return Upstream(
            url=self.url,
            etag=self.etag,
            last_modified=self.last_modified,
            bytes=self.bytes,
            sha256=self.sha256,
        )


@dataclass(frozen=True)
class NotModified:
    """The server answered 304 to a conditional GET: the object is the one we already have."""

    url: str


class HttpClient:
    """HTTP for one source; every error names that source and the URL (with secrets redacted)."""

    def __init__(
        self,
        source: str,
        settings: HttpSettings,
        *,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.source = source
        self.settings = settings
        self._session = session or requests.Session()
        self._session.headers["User-Agent"] = settings.user_agent
        self._sleep = sleep
        self._log = log or (lambda _msg: None)

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- public ----------------------------------------------------------------------------------

    def get(self, url: str, *, params: Mapping[str, Any] | None = None, expect: Expect = Expect.HTML) -> Page:
        """Fetch a small response into memory and check it is what ``expect`` says."""
        shown = redact(url, params)
        for attempt in range(1, self.settings.max_attempts + 1):
            response = self._request(
                url, params=params, headers={}, stream=False, shown=shown, attempt=attempt
            )
            if response is None:
                continue
            body = response.content
            if not body:
                raise ContentError(self.source, shown, "empty response body")
            _check_kind(self.source, shown, body[:512], response.headers.get("Content-Type", ""), expect)
            return Page(shown, body, response.headers.get("ETag"), response.headers.get("Last-Modified"))
        raise AssertionError("unreachable")  # pragma: no cover

    def exists(self, url: str) -> bool:
        """True when a GET of ``url`` would succeed; False on 404/403/410 (for probing dated names)."""
        shown = redact(url, None)
        try:
            response = self._session.head(url, timeout=self._timeouts(), allow_redirects=True)
        except requests.RequestException as exc:
            raise FetchError(self.source, shown, f"network error: {exc}") from exc
        with response:
            if response.status_code in (403, 404, 410):
                return False
            if response.status_code >= 400:
                raise FetchError(self.source, shown, f"HTTP {response.status_code} {response.reason}")
            return True

    def download(
        self,
        url: str,
        dest: Path,
        *,
        params: Mapping[str, Any] | None = None,
        expect: Expect = Expect.TEXT,
        progress: Progress | None = None,
        validators: Validators | None = None,
    ) -> Downloaded | NotModified:
        """Stream a body to ``dest`` (memory stays flat), checking its kind; retry broken transfers."""
        shown = redact(url, params)
        headers = {}
        if validators and validators.etag:
            headers["If-None-Match"] = validators.etag
        if validators and validators.last_modified:
            headers["If-Modified-Since"] = validators.last_modified
        for attempt in range(1, self.settings.max_attempts + 1):
            response = self._request(
                url, params=params, headers=headers, stream=True, shown=shown, attempt=attempt
            )
            if response is None:
                continue
            if response.status_code == 304:
                response.close()
                return NotModified(shown)
            try:
                return self._save(response, dest, shown, expect, progress)
            except (
                requests.ConnectionError,
                requests.Timeout,
                requests.exceptions.ChunkedEncodingError,
            ) as exc:
                if attempt == self.settings.max_attempts:
                    raise FetchError(
                        self.source, shown, f"transfer broke off after {attempt} tries: {_short(exc)}"
                    ) from exc
                self._wait(attempt, None, shown, f"transfer broke off ({_short(exc)})")
        raise AssertionError("unreachable")  # pragma: no cover

    # -- internals -------------------------------------------------------------------------------

    def _timeouts(self) -> tuple[float, float]:
        return (self.settings.connect_timeout, self.settings.read_timeout)

    def _request(
        self,
        url: str,
        *,
        params: Mapping[str, Any] | None,
        headers: dict[str, str],
        stream: bool,
        shown: str,
        attempt: int,
    ) -> requests.Response | None:
        """One try. Returns the response, None to try again (after waiting), or raises FetchError."""
        last = attempt == self.settings.max_attempts
        try:
            response = self._session.get(
                url, params=params, headers=headers, stream=stream, timeout=self._timeouts()
            )
        except (requests.ConnectionError, requests.Timeout) as exc:
            if last:
                raise FetchError(
                    self.source, shown, f"network error after {attempt} tries: {_short(exc)}"
                ) from exc
            self._wait(attempt, None, shown, f"network error ({_short(exc)})")
            return None
        status = response.status_code
        if status in RETRY_STATUSES:
            retry_after = response.headers.get("Retry-After")
            response.close()
            if last:
                raise FetchError(self.source, shown, f"HTTP {status} {response.reason} after {attempt} tries")
            self._wait(attempt, retry_after, shown, f"HTTP {status}")
            return None
        if status >= 400:
            response.close()
            raise FetchError(self.source, shown, f"HTTP {status} {response.reason}")
        return response

    def _wait(self, attempt: int, retry_after: str | None, shown: str, why: str) -> None:
        delay = parse_retry_after(retry_after)
        if delay is not None and delay > self.settings.max_retry_after_seconds:
            raise FetchError(
                self.source,
                shown,
                f"{why}: the server asks to retry after {delay:.0f} s, longer than the "
                f"{self.settings.max_retry_after_seconds:.0f} s limit (BGTASKS_PREBUILT_MAX_RETRY_AFTER_SECONDS)",
            )
        if delay is None:
            base = min(self.settings.backoff_seconds * 2 ** (attempt - 1), self.settings.max_backoff_seconds)
            delay = base + random.uniform(0, base / 4)
        self._log(
            f"{self.source}: {shown}: {why}; try {attempt + 1} of {self.settings.max_attempts} in {delay:.1f} s"
        )
        self._sleep(delay)

    def _save(
        self, response: requests.Response, dest: Path, shown: str, expect: Expect, progress: Progress | None
    ) -> Downloaded:
        total = _int_or_none(response.headers.get("Content-Length"))
        content_type = response.headers.get("Content-Type", "")
        sha = hashlib.sha256()
        inflater = _Inflater() if expect is Expect.GZIP else None
        size = 0
        dest.parent.mkdir(parents=True, exist_ok=True)
        with response, open(dest, "wb") as out:
            for chunk in response.iter_content(CHUNK):
                if not chunk:
                    continue
                if size == 0:
                    _check_kind(self.source, shown, chunk[:512], content_type, expect)
                out.write(chunk)
                sha.update(chunk)
                if inflater is not None:
                    inflater.feed(chunk, self.source, shown)
                size += len(chunk)
                if progress is not None:
                    progress(size, total)
        if size == 0:
            raise ContentError(self.source, shown, "empty response body")
        if inflater is not None:
            inflater.finish(self.source, shown)
        raw_sha = sha.hexdigest()
        return Downloaded(
            url=shown,
            path=dest,
            bytes=size,
            sha256=raw_sha,
            etag=response.headers.get("ETag"),
            last_modified=response.headers.get("Last-Modified"),
            content_sha256=inflater.sha256 if inflater else raw_sha,
            content_bytes=inflater.size if inflater else size,
        )


class _Inflater:
    """Decompresses a gzip stream as it arrives only to prove it is whole and to hash its content."""

    def __init__(self) -> None:
        self._z = zlib.decompressobj(wbits=31)
        self._sha = hashlib.sha256()
        self.size = 0

    def feed(self, chunk: bytes, source: str, shown: str) -> None:
        try:
            data = self._z.decompress(chunk)
            while self._z.eof and self._z.unused_data:  # concatenated gzip members
                rest = self._z.unused_data
                self._z = zlib.decompressobj(wbits=31)
                self._update(data)
                data = self._z.decompress(rest)
        except zlib.error as exc:
            raise ContentError(source, shown, f"corrupt gzip: {exc}") from exc
        self._update(data)

    def _update(self, data: bytes) -> None:
        self._sha.update(data)
        self.size += len(data)

    def finish(self, source: str, shown: str) -> None:
        if not self._z.eof:
            raise ContentError(
                source,
                shown,
                f"truncated gzip: the stream ends before its end marker ({self.size} bytes inflated)",
            )

    @property
    def sha256(self) -> str:
        return self._sha.hexdigest()


def _check_kind(source: str, shown: str, head: bytes, content_type: str, expect: Expect) -> None:
    if expect is Expect.HTML:
        return
    if looks_like_html(head) or (content_type.startswith("text/html") and head.lstrip()[:1] == b"<"):
        raise ContentError(source, shown, f"an HTML page was served where {expect.value} data was expected")
    if expect is Expect.GZIP and head[:2] != b"\x1f\x8b":
        raise ContentError(source, shown, "not a gzip stream (no gzip magic bytes at the start)")
    if expect in (Expect.ZIP, Expect.XLSX) and head[:4] != b"PK\x03\x04":
        raise ContentError(
            source, shown, f"not {expect.value} data (starts with {head[:8]!r}, not a zip header)"
        )
    if expect is Expect.JSON and head.lstrip()[:1] not in (b"{", b"["):
        raise ContentError(source, shown, f"not JSON (starts with {head[:20]!r})")


def looks_like_html(head: bytes) -> bool:
    """True for bodies that start like an HTML document (after any BOM and whitespace)."""
    start = head.lstrip(b"\xef\xbb\xbf").lstrip().lower()
    return start.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<!--"))


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date); None when absent/invalid."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def redact(url: str, params: Mapping[str, Any] | None) -> str:
    """The full URL as sent, with secret query parameters replaced by REDACTED."""
    safe = {
        k: ("REDACTED" if k.lower() in SECRET_PARAMS else v)
        for k, v in (params or {}).items()
        if v is not None
    }
    return requests.Request("GET", url, params=safe).prepare().url or url


def _int_or_none(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _short(exc: BaseException) -> str:
    text = str(exc)
    return text if len(text) <= 200 else text[:197] + "..."


def rebase_url(href: str, page_url: str, base_url: str) -> str:
    """Resolve a link found on ``page_url`` and move it onto ``base_url``'s scheme and host.

    Pages link to the real hosts; a configured base URL (a mirror, a loopback test server) must be
    used for the files too.
    """
    absolute = urljoin(page_url, href)
    target, base = urlsplit(absolute), urlsplit(base_url)
    prefix = base.path.rstrip("/")
    return urlunsplit((base.scheme, base.netloc, prefix + target.path, target.query, ""))

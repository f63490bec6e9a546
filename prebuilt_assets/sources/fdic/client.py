"""Paging through a BankFind endpoint to disk, checking the total the API announces."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from bgtasks.catalog import Upstream
from prebuilt_assets.errors import ContentError, IncompleteError
from prebuilt_assets.http import Downloaded, Expect, HttpClient, Progress, redact


@dataclass
class FetchedPages:
    """Pages saved to disk, the fields seen in any record, and a hash of the records."""

    url: str
    paths: list[Path] = field(default_factory=list)
    total: int = 0
    received: int = 0
    fields: set[str] = field(default_factory=set)
    upstream: list[Upstream] = field(default_factory=list)
    records_sha256: str = ""


class FdicClient:
    """One BankFind endpoint (``/banks/institutions`` or ``/banks/locations``)."""

    def __init__(self, http: HttpClient, base_url: str, *, api_key: str | None, page_size: int):
        self.http = http
        self.base_url = base_url
        self.api_key = api_key
        self.page_size = page_size

    def fetch(
        self,
        path: str,
        dest_dir: Path,
        *,
        sort_by: str,
        fields: list[str] | None,
        progress: Progress | None = None,
    ) -> FetchedPages:
        """Page with limit/offset (stable ``sort_by``) until ``meta.total`` records have arrived."""
        url = self.base_url + path
        base_params = {
            "sort_by": sort_by,
            "sort_order": "ASC",
            "limit": self.page_size,
            "format": "json",
            "fields": ",".join(fields) if fields else None,
            "api_key": self.api_key,
        }
        out = FetchedPages(url=redact(url, {k: v for k, v in base_params.items() if k != "limit"}))
        sha = hashlib.sha256()
        offset, total, done_bytes = 0, None, 0
        while total is None or offset < total:
            params = {**base_params, "offset": offset}
            dest = dest_dir / f"{path.strip('/').replace('/', '_')}_{offset}.json"
            got = self.http.download(url, dest, params=params, expect=Expect.JSON)
            assert isinstance(got, Downloaded)
            page_total, records = _read_page(self.http.source, got)
            if total is None:
                total = page_total
            elif page_total != total:
                raise IncompleteError(
                    self.http.source,
                    got.url,
                    f"meta.total changed from {total} to {page_total} while paging; run again",
                )
            if not records and offset < total:
                raise IncompleteError(
                    self.http.source,
                    got.url,
                    f"page at offset {offset} is empty: received {out.received} of {total} records",
                )
            for record in records:
                out.fields.update(record)
                sha.update(json.dumps(record, sort_keys=True, separators=(",", ":")).encode())
            out.paths.append(dest)
            out.upstream.append(got.upstream())
            out.received += len(records)
            done_bytes += got.bytes
            if progress is not None:
                progress(done_bytes, None)
            offset += self.page_size
        out.total = total or 0
        if out.total == 0 or out.received == 0:
            raise IncompleteError(
                self.http.source, out.url, "empty result: meta.total is 0 and no records arrived"
            )
        if out.received != out.total:
            raise IncompleteError(
                self.http.source, out.url, f"received {out.received} records but meta.total says {out.total}"
            )
        out.records_sha256 = sha.hexdigest()
        return out


def _read_page(source: str, got: Downloaded) -> tuple[int, list[dict]]:
    try:
        with open(got.path, "rb") as f:
            page = json.load(f)
        return int(page["meta"]["total"]), [item["data"] for item in page["data"]]
    except (ValueError, KeyError, TypeError) as exc:
        raise ContentError(source, got.url, f"not a BankFind response ({type(exc).__name__}: {exc})") from exc


def read_records(path: Path) -> list[dict]:
    """The records of one saved page (``data[i].data``)."""
    with open(path, "rb") as f:
        return [item["data"] for item in json.load(f)["data"]]

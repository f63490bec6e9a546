"""A real HTTP server on loopback that serves the recorded fixtures at the real URL paths.

Faults are queued per path and each is used once, in order:

- ``Fault.status(429, retry_after="1")``, ``Fault.status(500)``: that status instead of the file
- ``Fault.html()``: an HTML page with status 200 instead of the file
- ``Fault.truncate()``: the first half of the body, with a matching Content-Length
- ``Fault.drop_records(n)``: (FDIC JSON) the page without its last ``n`` records
- ``Fault.empty()``: (FDIC JSON) ``total`` 0 and no records; (files) only the first line
- ``Fault.cut_connection()``: announce the full length, send half, close the socket
"""

from __future__ import annotations

import gzip
import hashlib
import json
import threading
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "prebuilt"
LAST_MODIFIED = "Wed, 02 Dec 2026 05:12:44 GMT"
HTML_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>Service unavailable</title></head><body>Maintenance</body></html>\n"
)

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".zip": "application/zip",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".json": "application/json",
    ".csv": "text/csv",
    ".gz": "application/gzip",
}


@dataclass(frozen=True)
class Fault:
    kind: str
    status: int = 200
    retry_after: str | None = None
    count: int = 0

    @classmethod
    def status_code(cls, status: int, retry_after: str | None = None) -> Fault:
        return cls("status", status=status, retry_after=retry_after)

    @classmethod
    def html(cls) -> Fault:
        return cls("html")

    @classmethod
    def truncate(cls) -> Fault:
        return cls("truncate")

    @classmethod
    def drop_records(cls, count: int) -> Fault:
        return cls("drop_records", count=count)

    @classmethod
    def empty(cls) -> Fault:
        return cls("empty")

    @classmethod
    def cut_connection(cls) -> Fault:
        return cls("cut")


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]


@dataclass
class FixtureServer:
    """Routes (URL path -> file) and queued faults; ``url`` is the base URL to configure."""

    routes: dict[str, Path] = field(default_factory=dict)
    bodies: dict[str, bytes] = field(default_factory=dict)
    faults: dict[str, deque[Fault]] = field(default_factory=lambda: defaultdict(deque))
    seen: list[Seen] = field(default_factory=list)
    url: str = ""

    def serve(self, path: str, file: Path) -> None:
        self.routes[path] = file

    def replace_body(self, path: str, body: bytes) -> None:
        """Serve ``body`` at ``path`` from now on (a new upstream edition)."""
        self.bodies[path] = body

    def fail(self, path: str, *faults: Fault) -> None:
        self.faults[path].extend(faults)

    def requests_to(self, path: str) -> list[Seen]:
        return [s for s in self.seen if s.path == path]

    # -- dispatch --------------------------------------------------------------------------------

    def resolve(self, path: str, query: dict[str, list[str]]) -> tuple[bytes, str] | None:
        if path in self.bodies:
            return self.bodies[path], _content_type(path)
        if path.startswith("/banks/"):
            return _fdic(path, query)
        file = self.routes.get(path)
        if file is None:
            return None
        return file.read_bytes(), _content_type(file.name)


def _content_type(name: str) -> str:
    return CONTENT_TYPES.get(Path(name).suffix, "application/octet-stream")


def _fdic(path: str, query: dict[str, list[str]]) -> tuple[bytes, str] | None:
    endpoint = path.rsplit("/", 1)[-1]
    if endpoint not in ("institutions", "locations"):
        return None
    if query.get("format", ["json"])[0] == "csv":
        return (FIXTURES / "fdic" / f"{endpoint}.csv").read_bytes(), "text/csv"
    offset = query.get("offset", ["0"])[0]
    pages = list((FIXTURES / "fdic").glob(f"{endpoint}_offset{offset}_limit*.json"))
    if not pages:
        body = json.dumps({"meta": {"total": 0}, "data": [], "totals": {"count": 0}}).encode()
        return (body, "application/json") if int(offset) > 0 else None
    return pages[0].read_bytes(), "application/json"


def _apply(fault: Fault, body: bytes, content_type: str) -> tuple[int, bytes, str, dict[str, str]]:
    if fault.kind == "status":
        headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
        return fault.status, b"<html><body>try later</body></html>", "text/html", headers
    if fault.kind == "html":
        return 200, HTML_PAGE, "text/html; charset=utf-8", {}
    if fault.kind == "truncate":
        return 200, body[: len(body) // 2], content_type, {}
    if fault.kind == "drop_records":
        page = json.loads(body)
        page["data"] = page["data"][: len(page["data"]) - fault.count]
        return 200, json.dumps(page, separators=(",", ":")).encode(), content_type, {}
    if fault.kind == "empty":
        if content_type == "application/json":
            empty = {"meta": {"total": 0}, "data": [], "totals": {"count": 0}}
            return 200, json.dumps(empty).encode(), content_type, {}
        if content_type == "application/gzip":
            return 200, gzip.compress(_first_line(gzip.decompress(body))), content_type, {}
        return 200, _first_line(body), content_type, {}
    raise ValueError(fault.kind)


def _first_line(body: bytes) -> bytes:
    newline = b"\n\x00" if body[:2] == b"\xff\xfe" else b"\n"
    return body.split(newline, 1)[0] + newline


def start(server_state: FixtureServer) -> tuple[ThreadingHTTPServer, threading.Thread]:
    """Start serving on 127.0.0.1 on a free port; sets ``server_state.url``."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_HEAD(self) -> None:
            self._handle(head=True)

        def do_GET(self) -> None:
            self._handle(head=False)

        def _handle(self, head: bool) -> None:
            parts = urlsplit(self.path)
            query = parse_qs(parts.query)
            server_state.seen.append(Seen(self.command, parts.path, query, dict(self.headers.items())))
            found = server_state.resolve(parts.path, query)
            if found is None:
                return self._send(404, HTML_PAGE * 50, "text/html", {}, head)
            body, content_type = found
            queue = server_state.faults.get(parts.path)
            fault = queue.popleft() if queue else None
            if fault is not None and fault.kind == "cut":
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
                return None
            status, headers = 200, {}
            if fault is not None:
                status, body, content_type, headers = _apply(fault, body, content_type)
            etag = '"' + hashlib.sha1(body).hexdigest() + '"'
            if status == 200:
                headers = {**headers, "ETag": etag, "Last-Modified": LAST_MODIFIED}
                if self.headers.get("If-None-Match") == etag:
                    return self._send(304, b"", content_type, headers, head=True)
            return self._send(status, body, content_type, headers, head)

        def _send(
            self, status: int, body: bytes, content_type: str, headers: dict[str, str], head: bool
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)) if status != 304 else "0")
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            if not head:
                self.wfile.write(body)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, name="fixture-server", daemon=True
    )
    thread.start()
    server_state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    return httpd, thread

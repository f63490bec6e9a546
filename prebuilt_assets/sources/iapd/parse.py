"""Stream the IAPD compilation feeds into nested records, one per firm or individual.

The firm feeds are one gzipped XML document; the representatives feed is a zip of XML documents.
Both declare ``encoding="ISO-8859-1"``; the bytes go to lxml undecoded so the declaration decides.
``iterparse`` builds one record's elements at a time: each record is converted, then cleared and
removed from its parent, so memory stays flat however large the document.

A record becomes a dict: attributes as keys (values kept as the feed's strings), child elements
under their tag. Wrappers of repeated children (``settings.LIST_WRAPPERS``: ``NoticeFiled``,
``CrntEmps``, ``Exms``, ...) become lists, also when empty, so every record has the same shape; any
other element that repeats becomes a list too. An element with only text becomes that text; text
next to attributes goes under ``"#text"``.
"""

from __future__ import annotations

import gzip
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from lxml import etree

from prebuilt_assets.errors import SourceFormatError, describe_html_page
from prebuilt_assets.sources.iapd.settings import LIST_WRAPPERS, IapdFeed

_HEAD_BYTES = 64 * 1024
# Records start within the first KBs; this much XML without one means the record element was
# renamed, and parsing on would build the whole document in memory.
_MAX_BYTES_BEFORE_FIRST_RECORD = 32 * 1024 * 1024
_GZIP_MAGIC = b"\x1f\x8b"


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class FeedRecord(NamedTuple):
    """One firm or individual, and where it came from."""

    member: str
    """The file (gzip feeds) or zip member the record was read from."""
    generated_on: date | None
    """The ``GenOn`` date of that document's root element."""
    data: dict[str, Any]


@dataclass(frozen=True)
class FeedMembers:
    """The zip members of a representatives feed: those parsed, in order, and those ignored."""

    parsed: tuple[str, ...]
    ignored: tuple[str, ...]


def element_to_dict(element: etree._Element) -> Any:
    """Convert one element and its descendants to dicts, lists and strings (see module docstring)."""
    node: dict[str, Any] = dict(element.items())
    # Hot path: runs for every element of a 1 GB feed, hence plain loops and no helper calls.
    # The parser drops comments and processing instructions, so every child is an element.
    if len(element):
        for child in element:
            tag = child.tag
            if tag in LIST_WRAPPERS:
                value: Any = [element_to_dict(item) for item in child]
            else:
                value = element_to_dict(child)
            if tag not in node:
                node[tag] = value
            elif tag not in LIST_WRAPPERS and node[tag].__class__ is list:
                node[tag].append(value)
            else:
                node[tag] = [node[tag], value]
    else:
        text = element.text
        if text is not None and not text.isspace():
            if not node:
                return text
            node["#text"] = text
    return node


def zip_members(feed: IapdFeed, path: Path) -> FeedMembers:
    """Split the members of a zip feed into data members (natural order) and ignored ones."""
    with _open_zip(feed, path) as archive:
        names = [info.filename for info in archive.infolist() if not info.is_dir()]
    return _split_members(feed, names)


def iter_records(feed: IapdFeed, path: Path, source_url: str | None = None) -> Iterator[FeedRecord]:
    """Yield every record of the downloaded feed file at ``path``, streaming.

    ``source_url`` only names the download in error messages. Raises SourceFormatError when the
    file is an HTML page, a truncated or corrupt gzip/zip, malformed XML, a document of another
    kind, or holds zero records.
    """
    where = source_url or path.name
    count = 0
    for member, stream in _documents(feed, path, where):
        location = where if member == path.name else f"{where} member {member}"
        for generated_on, data in _iter_document(feed, stream, location):
            count += 1
            yield FeedRecord(member, generated_on, data)
    if count == 0:
        raise SourceFormatError(feed.name, where, f"the edition holds zero {feed.record_noun}")


def _documents(feed: IapdFeed, path: Path, where: str) -> Iterator[tuple[str, _Readable]]:
    if feed.container == "gzip":
        _check_magic(feed, path, where, _GZIP_MAGIC, "gzip")
        with gzip.open(path, "rb") as document:
            yield path.name, document
        return
    with _open_zip(feed, path, where) as archive:
        members = _split_members(feed, [i.filename for i in archive.infolist() if not i.is_dir()])
        if not members.parsed:
            raise SourceFormatError(
                feed.name, where, f"no data member in the zip (members: {list(members.ignored)})"
            )
        for name in members.parsed:
            try:
                member = archive.open(name)
            except zipfile.BadZipFile as exc:
                raise SourceFormatError(feed.name, f"{where} member {name}", f"corrupt zip: {exc}") from exc
            with member:
                yield name, member


def _iter_document(feed: IapdFeed, stream: _Readable, location: str) -> Iterator[tuple[date | None, Any]]:
    try:
        head = stream.read(_HEAD_BYTES)
        generated_on = _read_root(feed, head, location)
        reader = _DocumentReader(feed, head, stream, location)
        records = etree.iterparse(
            reader,
            events=("end",),
            tag=feed.record_tag,
            resolve_entities=False,
            remove_comments=True,
            remove_pis=True,
        )
        for _, element in records:
            reader.record_seen = True
            yield generated_on, element_to_dict(element)
            # Free what the parser built so far: this record and the already-freed siblings' shells.
            element.clear()
            while element.getprevious() is not None:
                del element.getparent()[0]
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise SourceFormatError(
            feed.name, location, f"the gzip stream is truncated or corrupt ({exc}); download again"
        ) from exc
    except zipfile.BadZipFile as exc:
        raise SourceFormatError(feed.name, location, f"the zip member is corrupt ({exc})") from exc
    except etree.XMLSyntaxError as exc:
        raise SourceFormatError(feed.name, location, f"malformed XML: {exc}") from exc


def _read_root(feed: IapdFeed, head: bytes, location: str) -> date | None:
    """Check the document's root element from its first bytes and return its GenOn date."""
    html = describe_html_page(head)
    if html is not None:
        raise SourceFormatError(feed.name, location, f"got {html} instead of the XML feed")
    parser = etree.XMLPullParser(events=("start",), resolve_entities=False)
    try:
        parser.feed(head)
        root = next((element for _, element in parser.read_events()), None)
    except etree.XMLSyntaxError as exc:
        raise SourceFormatError(feed.name, location, f"not an XML document: {exc}") from exc
    if root is None:
        raise SourceFormatError(feed.name, location, "no XML root element in the first 64 KB")
    if root.tag != feed.root_tag:
        raise SourceFormatError(
            feed.name, location, f"the root element is <{root.tag}>, expected <{feed.root_tag}>"
        )
    generated_on = root.get("GenOn")
    try:
        return date.fromisoformat(generated_on) if generated_on else None
    except ValueError as exc:
        raise SourceFormatError(feed.name, location, f"GenOn={generated_on!r} is not a date") from exc


class _DocumentReader:
    """The file object iterparse reads: the already-read head first, then the rest of the stream.

    It also stops a document that shows no record element early, before lxml builds it all.
    """

    def __init__(self, feed: IapdFeed, head: bytes, stream: _Readable, location: str) -> None:
        self._feed = feed
        self._head = memoryview(head)
        self._stream = stream
        self._location = location
        self._bytes_read = 0
        self.record_seen = False

    def read(self, size: int = -1) -> bytes:
        if self._head:
            size = len(self._head) if size < 0 else size
            chunk, self._head = bytes(self._head[:size]), self._head[size:]
        else:
            chunk = self._stream.read(size)
        self._bytes_read += len(chunk)
        if not self.record_seen and self._bytes_read > _MAX_BYTES_BEFORE_FIRST_RECORD:
            raise SourceFormatError(
                self._feed.name,
                self._location,
                f"no <{self._feed.record_tag}> element in the first {self._bytes_read:,} bytes; "
                "the feed's layout changed",
            )
        return chunk


def _check_magic(feed: IapdFeed, path: Path, where: str, magic: bytes, kind: str) -> None:
    with path.open("rb") as handle:
        head = handle.read(4096)
    if head.startswith(magic):
        return
    html = describe_html_page(head)
    found = html or f"bytes {head[:8]!r}"
    raise SourceFormatError(
        feed.name, where, f"expected a {kind} file, got {found} (a firewall block page or an error?)"
    )


def _open_zip(feed: IapdFeed, path: Path, where: str | None = None) -> zipfile.ZipFile:
    where = where or path.name
    try:
        return zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        _check_magic(feed, path, where, b"PK", "zip")
        raise SourceFormatError(
            feed.name, where, f"the zip is truncated or corrupt ({exc}); download again"
        ) from exc


def _split_members(feed: IapdFeed, names: list[str]) -> FeedMembers:
    pattern = feed.member_pattern
    parsed = [n for n in names if pattern is not None and pattern.fullmatch(n.rsplit("/", 1)[-1])]
    ignored = [n for n in names if n not in parsed]
    return FeedMembers(tuple(sorted(parsed, key=_natural_key)), tuple(ignored))


def _natural_key(name: str) -> list[Any]:
    """Sort IA_Indvl_Feeds2.xml before IA_Indvl_Feeds10.xml."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name)]

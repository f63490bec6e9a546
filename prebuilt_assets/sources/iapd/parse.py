"""Stream the IAPD compilation feeds into nested records, one per firm or individual.

The firm feeds are one gzipped XML document; the representatives feed is a zip of XML documents.
Both declare ``encoding="ISO-8859-1"``; the bytes go to the parser undecoded so the declaration decides.

The parser is ``_records.c`` (compiled by ``scripts/build_native.sh``): expat's callbacks build each
record's dicts in C and hand Python the finished records of each 256 KB fed, so memory stays flat
however large the document. The pure-Python path below is the reference it is tested against
(tests/prebuilt_assets/iapd/test_iapd_native.py) and the fallback when it is not compiled: the
standard library's C parser (``xml.etree.ElementTree.XMLParser``) builds elements, and after each
feed the finished records are taken from their container (``<Firms>``, ``<Indvls>``), converted by
``element_to_dict`` and removed. Measured on a 100 MB representatives feed against a bare lxml
``iterparse`` loop: compiled 1.1x, pure Python 1.7x; lxml with a Python walk of each record 2.4x
(every element visited from Python costs a proxy object and a copy of its attributes).
See benchmarks/iapd_throughput.py.

A record becomes a dict: attributes as keys (values kept as the feed's strings), child elements
under their tag. Wrappers of repeated children (``settings.LIST_WRAPPERS``: ``NoticeFiled``,
``CrntEmps``, ``Exms``, ...) become lists, also when empty, so every record has the same shape; any
other element that repeats becomes a list too. An element with only text becomes that text; text
next to attributes goes under ``"#text"``.
"""

from __future__ import annotations

import gc
import gzip
import logging
import re
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple, Protocol
from xml.etree import ElementTree

from prebuilt_assets.errors import SourceFormatError, describe_html_page
from prebuilt_assets.sources.iapd.settings import LIST_WRAPPERS, IapdFeed

try:
    from prebuilt_assets.sources.iapd import _records
except ImportError:  # not compiled here (scripts/build_native.sh): the pure-Python parser does the work
    _records = None  # type: ignore[assignment]

_log = logging.getLogger(__name__)
_MALFORMED_XML: tuple[type[Exception], ...] = (ElementTree.ParseError,) + (
    (_records.ParseError,) if _records is not None else ()
)

_HEAD_BYTES = 64 * 1024
# Small feeds keep few records alive at a time (measured: 16 KB parses 1.5x faster than 1 MB).
_CHUNK_BYTES = 16 * 1024
_NATIVE_CHUNK_BYTES = 256 * 1024
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


class FeedBatch(NamedTuple):
    """The records finished by one feed of the parser, all from one document."""

    member: str
    generated_on: date | None
    records: list[dict[str, Any]]


def element_to_dict(element: ElementTree.Element) -> Any:
    """Convert one element and its descendants to dicts, lists and strings (see module docstring).

    The element's own attribute dicts become the record's dicts (no copy), so convert an element
    once, then drop it.
    """
    node: dict[str, Any] = element.attrib
    # Hot path: runs for every record of a 1 GB feed, hence plain loops and no helper calls. Most
    # elements are leaves without text: their value is their attribute dict, taken without a call.
    # The tree builder drops comments and processing instructions, so every child is an element.
    if len(element):
        for child in element:
            tag = child.tag
            if tag in LIST_WRAPPERS:
                value: Any = [
                    item.attrib if item.text is None and not len(item) else element_to_dict(item)
                    for item in child
                ]
            elif child.text is None and not len(child):
                value = child.attrib
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


def iter_batches(feed: IapdFeed, path: Path, source_url: str | None = None) -> Iterator[FeedBatch]:
    """Yield the records of the downloaded feed file at ``path`` in document order, a batch at a time.

    ``source_url`` only names the download in error messages. Raises SourceFormatError when the
    file is an HTML page, a truncated or corrupt gzip/zip, malformed XML, a document of another
    kind, or holds zero records.
    """
    where = source_url or path.name
    count = 0
    for member, stream in _documents(feed, path, where):
        location = where if member == path.name else f"{where} member {member}"
        for generated_on, records in _iter_document(feed, stream, location):
            count += len(records)
            yield FeedBatch(member, generated_on, records)
    if count == 0:
        raise SourceFormatError(feed.name, where, f"the edition holds zero {feed.record_noun}")


def iter_records(feed: IapdFeed, path: Path, source_url: str | None = None) -> Iterator[FeedRecord]:
    """Yield every record of the downloaded feed file at ``path``, streaming (see ``iter_batches``)."""
    for batch in iter_batches(feed, path, source_url):
        for data in batch.records:
            yield FeedRecord(batch.member, batch.generated_on, data)


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


def _iter_document(
    feed: IapdFeed, stream: _Readable, location: str
) -> Iterator[tuple[date | None, list[dict[str, Any]]]]:
    try:
        head = stream.read(_HEAD_BYTES)
        generated_on = _read_root(feed, head, location)
        for records in _document_parser(feed, location).batches(head, stream):
            yield generated_on, records
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise SourceFormatError(
            feed.name, location, f"the gzip stream is truncated or corrupt ({exc}); download again"
        ) from exc
    except zipfile.BadZipFile as exc:
        raise SourceFormatError(feed.name, location, f"the zip member is corrupt ({exc})") from exc
    except _MALFORMED_XML as exc:
        raise SourceFormatError(feed.name, location, f"malformed XML: {exc}") from exc


def _document_parser(feed: IapdFeed, location: str) -> _NativeDocumentParser | _DocumentParser:
    if _records is not None:
        return _NativeDocumentParser(feed, location)
    if not _DocumentParser.fallback_logged:
        _DocumentParser.fallback_logged = True
        _log.warning("IAPD feeds parse with the slower pure-Python parser: run scripts/build_native.sh")
    return _DocumentParser(feed, location)


class _NativeDocumentParser:
    """One document through the compiled parser: the records of each feed of bytes, with the same
    checks as ``_DocumentParser`` (no record element early on, records outside the container)."""

    def __init__(self, feed: IapdFeed, location: str) -> None:
        assert _records is not None
        self._feed = feed
        self._location = location
        self._parser = _records.RecordParser(feed.record_tag, LIST_WRAPPERS)

    def batches(self, head: bytes, stream: _Readable) -> Iterator[list[dict[str, Any]]]:
        """Feed ``head`` then the rest of ``stream``; yield the records each feed finished."""
        data, fed = head, 0
        while data:
            with gc_paused():
                records = self._parser.feed(data)
            fed += len(data)
            if records:
                yield records
            elif self._parser.records == 0 and fed > _MAX_BYTES_BEFORE_FIRST_RECORD:
                raise _no_record_error(self._feed, self._location, fed)
            data = stream.read(_NATIVE_CHUNK_BYTES)
        with gc_paused():
            records = self._parser.close()
        if records:
            yield records
        if self._parser.stray:
            raise _stray_records_error(self._feed, self._location, self._parser.stray)


def _read_root(feed: IapdFeed, head: bytes, location: str) -> date | None:
    """Check the document's root element from its first bytes and return its GenOn date."""
    html = describe_html_page(head)
    if html is not None:
        raise SourceFormatError(feed.name, location, f"got {html} instead of the XML feed")
    parser: ElementTree.XMLPullParser[ElementTree.Element] = ElementTree.XMLPullParser(events=("start",))
    try:
        parser.feed(head)
        starts = (event[-1] for event in parser.read_events())
        root = next((e for e in starts if isinstance(e, ElementTree.Element)), None)
    except ElementTree.ParseError as exc:
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


class _DocumentParser:
    """One document through the C parser: finished records are taken out of their container.

    Until the first record element the parser reports "start" events, which is how the container
    (the first record's parent) and the root are found; then reporting is switched off and the C
    tree builder runs without calling back into Python. ``XMLParser._setevents`` is the method the
    standard library's own ``XMLPullParser`` uses to do exactly this (unchanged since Python 3.4).
    """

    fallback_logged = False

    def __init__(self, feed: IapdFeed, location: str) -> None:
        self._feed = feed
        self._location = location
        self._parser = ElementTree.XMLParser(target=ElementTree.TreeBuilder())
        self._events: list[tuple[str, ElementTree.Element]] = []
        self._parser._setevents(self._events, ("start",))  # type: ignore[attr-defined]
        self._root: ElementTree.Element | None = None
        self._container: ElementTree.Element | None = None

    def batches(self, head: bytes, stream: _Readable) -> Iterator[list[dict[str, Any]]]:
        """Feed ``head`` then the rest of ``stream``; yield the records each feed finished."""
        data, fed = head, 0
        while True:
            with gc_paused():
                if data:
                    self._parser.feed(data)
                    fed += len(data)
                else:
                    self._parser.close()
                if self._container is None and not self._find_container(fed):
                    if not data:
                        return
                    data = stream.read(_CHUNK_BYTES)
                    continue
                records = self._take_finished(last_may_be_open=bool(data))
            if records:
                yield records
            if not data:
                self._check_nothing_left()
                return
            data = stream.read(_CHUNK_BYTES)

    def _find_container(self, fed: int) -> bool:
        record_tag = self._feed.record_tag
        events = self._events
        if self._root is None and events:
            self._root = events[0][1]
        for index, (_, element) in enumerate(events):
            if element.tag == record_tag:
                self._container = next(
                    (parent for _, parent in reversed(events[:index]) if _has_child(parent, element)), None
                )
                break
        events.clear()
        if self._container is not None:
            self._parser._setevents(events, ())  # type: ignore[attr-defined]
            return True
        if fed > _MAX_BYTES_BEFORE_FIRST_RECORD:
            raise _no_record_error(self._feed, self._location, fed)
        return False

    def _take_finished(self, last_may_be_open: bool) -> list[dict[str, Any]]:
        container = self._container
        assert container is not None
        finished = len(container) - 1 if last_may_be_open else len(container)
        if finished <= 0:
            return []
        record_tag = self._feed.record_tag
        records = [element_to_dict(e) for e in container[:finished] if e.tag == record_tag]
        del container[:finished]
        return records

    def _check_nothing_left(self) -> None:
        """Records outside the container were never taken: fail rather than drop them silently."""
        assert self._root is not None
        stray = sum(1 for _ in self._root.iter(self._feed.record_tag))
        if stray:
            raise _stray_records_error(self._feed, self._location, stray)


def _no_record_error(feed: IapdFeed, location: str, fed: int) -> SourceFormatError:
    return SourceFormatError(
        feed.name,
        location,
        f"no <{feed.record_tag}> element in the first {fed:,} bytes; the feed's layout changed",
    )


def _stray_records_error(feed: IapdFeed, location: str, stray: int) -> SourceFormatError:
    return SourceFormatError(
        feed.name,
        location,
        f"{stray} <{feed.record_tag}> element(s) outside the record container; the feed's layout changed",
    )


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cycle collector for a block that allocates many objects but makes no cycles.

    Every element is a new tracked object, so the collector would run every few records and walk all
    live objects, for nothing: elements and records hold no reference cycles (reference counting frees
    them). Used around each feed of the parser (so it is restored before a generator yields) and by
    ``write.write_feed`` around a whole feed. Nested uses leave it to the outermost.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _has_child(parent: ElementTree.Element, element: ElementTree.Element) -> bool:
    return any(child is element for child in parent)


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

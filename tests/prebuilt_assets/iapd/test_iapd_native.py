"""The compiled record parser (``_records.c``) against the pure-Python reference (``element_to_dict``).

Both must give the same records, key order included, for the recorded feeds and for every shape the
conversion rules name; ``make test`` builds the compiled one, so it is never skipped here.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from prebuilt_assets.errors import SourceFormatError
from prebuilt_assets.sources.iapd import parse
from prebuilt_assets.sources.iapd.settings import (
    LIST_WRAPPERS,
    REPRESENTATIVES,
    SEC_ADVISERS,
    STATE_ADVISERS,
    IapdFeed,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures/prebuilt/iapd"
RECORDED = [
    (SEC_ADVISERS, "IA_FIRM_SEC_Feed_12_02_2026.xml.gz"),
    (STATE_ADVISERS, "IA_FIRM_STATE_Feed_12_02_2026.xml.gz"),
    (REPRESENTATIVES, "IA_INDVL_Feed_12_02_2026.xml.zip"),
]


def records(feed: IapdFeed, path: Path, *, native: bool, monkeypatch: pytest.MonkeyPatch) -> list:
    with monkeypatch.context() as patch:
        if not native:
            patch.setattr(parse, "_records", None)
        return [(r.member, r.generated_on, r.data) for r in parse.iter_records(feed, path)]


def ordered(value: object) -> object:
    """Dicts as lists of items, so that comparing also compares key order."""
    if isinstance(value, dict):
        return [(key, ordered(item)) for key, item in value.items()]
    if isinstance(value, list):
        return [ordered(item) for item in value]
    return value


def firm_feed(tmp_path: Path, firms: str, encoding: str = "ISO-8859-1") -> Path:
    xml = (
        f'<?xml version="1.0" encoding="{encoding}"?>\n<IAPDFirmSECReport GenOn="2026-12-02">'
        f"<Firms>{firms}</Firms></IAPDFirmSECReport>"
    ).encode(encoding)
    path = tmp_path / "IA_FIRM_SEC_Feed_12_02_2026.xml.gz"
    path.write_bytes(gzip.compress(xml))
    return path


def test_the_compiled_parser_is_built() -> None:
    assert parse._records is not None, "run scripts/build_native.sh (make test does)"


@pytest.mark.parametrize(("feed", "name"), RECORDED, ids=[feed.name for feed, _ in RECORDED])
@pytest.mark.parametrize("chunk", [97, 256 * 1024])
def test_recorded_feeds_give_the_same_records(
    feed: IapdFeed, name: str, chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    reference = records(feed, FIXTURES / name, native=False, monkeypatch=monkeypatch)
    monkeypatch.setattr(parse, "_NATIVE_CHUNK_BYTES", chunk)

    compiled = records(feed, FIXTURES / name, native=True, monkeypatch=monkeypatch)

    assert ordered(compiled) == ordered(reference)
    assert len(compiled) in {35, 24, 40}


SHAPES = {
    "leaf text": '<Firm><Info FirmCrdNb="1"/><Name>ACME</Name></Firm>',
    "text beside attributes": '<Firm><Info FirmCrdNb="2"/><Note lang="en">hello</Note></Firm>',
    "blank text, also non-breaking spaces": '<Firm><Info FirmCrdNb="3"/><A> \n\t</A><B x="1">\xa0 </B></Firm>',
    "repeated element": '<Firm><Info FirmCrdNb="4"/><Ph n="1"/><Ph n="2"/><Ph n="3"/></Firm>',
    "wrappers with none, one and two children": (
        '<Firm><Info FirmCrdNb="5"/><WebAddrs/><Rgltrs><Rgltr Cd="NY"/></Rgltrs>'
        "<NoticeFiled><States RgltrCd='CA'/><States RgltrCd='TX'>x</States></NoticeFiled></Firm>"
    ),
    "wrapper attributes and text are dropped": '<Firm><Info FirmCrdNb="6"/><WebAddrs n="2">t<W>a</W></WebAddrs></Firm>',
    "wrapper inside wrapper": "<Firm><Info FirmCrdNb='7'/><Rgltrs><WebAddrs><W>a</W></WebAddrs></Rgltrs></Firm>",
    "repeated wrapper": "<Firm><Info FirmCrdNb='8'/><WebAddrs><W>a</W></WebAddrs><WebAddrs/></Firm>",
    "attribute named like a child": '<Firm Name="attr"><Info FirmCrdNb="9"/><Name>child</Name></Firm>',
    "mixed content keeps only element children": "<Firm>lead<Info FirmCrdNb='10'/>tail<X/>more</Firm>",
    "record holding only text": "<Firm>just text</Firm>",
    "nested record element": "<Firm><Info FirmCrdNb='11'/><Firm><Info FirmCrdNb='12'/></Firm></Firm>",
    "entities, CDATA and Latin-1": "<Firm><N>A &amp; B &#233;<![CDATA[ <x> ]]>\xe9\xfc</N><M a='&lt;&quot;'/></Firm>",
    "namespaced names": '<Firm xmlns:p="urn:p"><p:Info p:FirmCrdNb="13"/><Info xmlns="urn:d" a="1"/></Firm>',
}


@pytest.mark.parametrize("firms", SHAPES.values(), ids=SHAPES.keys())
def test_every_conversion_rule_gives_the_same_record(
    firms: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = firm_feed(tmp_path, firms + '<Firm><Info FirmCrdNb="99"/></Firm>')

    compiled = records(SEC_ADVISERS, path, native=True, monkeypatch=monkeypatch)

    assert ordered(compiled) == ordered(records(SEC_ADVISERS, path, native=False, monkeypatch=monkeypatch))
    assert compiled[-1][2] == {"Info": {"FirmCrdNb": "99"}}


def test_a_few_shapes_spelled_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What the rules give, written down, so that both parsers agreeing on something wrong fails too."""
    shapes = "".join(
        SHAPES[name] for name in ("text beside attributes", "wrappers with none, one and two children")
    )
    path = firm_feed(tmp_path, shapes + SHAPES["entities, CDATA and Latin-1"])

    first, second, third = (
        data for _, _, data in records(SEC_ADVISERS, path, native=True, monkeypatch=monkeypatch)
    )

    assert first["Note"] == {"lang": "en", "#text": "hello"}
    assert second["WebAddrs"] == [] and second["Rgltrs"] == [{"Cd": "NY"}]
    assert second["NoticeFiled"] == [{"RgltrCd": "CA"}, {"RgltrCd": "TX", "#text": "x"}]
    assert third == {"N": "A & B \xe9 <x> \xe9\xfc", "M": {"a": '<"'}}
    assert {"WebAddrs", "NoticeFiled", "Rgltrs"} <= LIST_WRAPPERS


def test_malformed_xml_names_line_and_column_as_the_reference_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = firm_feed(tmp_path, '<Firm><Info FirmCrdNb="1"></Firm>')
    messages = []
    for native in (True, False):
        with pytest.raises(SourceFormatError) as caught:
            records(SEC_ADVISERS, path, native=native, monkeypatch=monkeypatch)
        messages.append(str(caught.value))

    assert messages[0] == messages[1]
    assert messages[0] == (
        "iapd_sec_advisers: malformed XML: mismatched tag: line 2, column 73 [IA_FIRM_SEC_Feed_12_02_2026.xml.gz]"
    )


def test_parser_keeps_only_the_records_of_each_feed() -> None:
    """Records are handed over as they complete; nothing of the document is kept besides."""
    assert parse._records is not None
    parser = parse._records.RecordParser("Firm", LIST_WRAPPERS)

    assert parser.feed(b"<R><Firms><Firm a='1'/><Fi") == [{"a": "1"}]
    assert parser.feed(b"rm a='2'><X/></Firm><Firm a='3'") == [{"a": "2", "X": {}}]
    assert parser.feed(b"/></Firms><Other><Firm a='4'/></Other></R>") == [{"a": "3"}]
    assert parser.close() == []
    assert (parser.records, parser.stray) == (3, 1)


def test_a_failed_parser_refuses_more_input() -> None:
    assert parse._records is not None
    parser = parse._records.RecordParser("Firm", LIST_WRAPPERS)

    with pytest.raises(parse._records.ParseError, match=r"^mismatched tag: line 1, column 17$"):
        parser.feed(b"<R><Firm a='1'></R>")
    with pytest.raises(RuntimeError, match="failed earlier"):
        parser.feed(b"<Firm/>")
    with pytest.raises(RuntimeError, match="__init__ was not called"):
        parse._records.RecordParser.__new__(parse._records.RecordParser).feed(b"<R/>")

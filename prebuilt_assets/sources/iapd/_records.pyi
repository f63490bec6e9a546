"""Types of the compiled record parser (``_records.c``)."""

from typing import Any

class ParseError(ValueError):
    """The XML is not well-formed: expat's message with line and column."""

class RecordParser:
    """Feed XML bytes, get the dicts of the ``record_tag`` elements each feed completed."""

    records: int
    stray: int
    def __init__(self, record_tag: str, list_wrappers: frozenset[str]) -> None: ...
    def feed(self, data: bytes, /) -> list[Any]: ...
    def close(self) -> list[Any]: ...

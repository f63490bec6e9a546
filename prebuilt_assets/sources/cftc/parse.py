"""Read the CFTC FCM workbook by header label: one row per FCM or RFED.

The header row is searched in the first rows of each sheet (a blank or title row above it is
tolerated); columns are mapped by label, so inserted or reordered columns are fine. Firm rows run
until the "Totals" / "Additions:" / "Deletions:" block; only rows whose "Registered As" holds FCM,
RFED or FCMRFD are firms (the lettered row under the header and blank rows are skipped).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pyarrow.parquet as pq
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel
from openpyxl.utils.exceptions import InvalidFileException

from prebuilt_assets.errors import SourceFormatError, describe_html_page
from prebuilt_assets.sources.cftc.schema import FCM_COLUMNS, FcmColumn, fcm_table, normalise_label
from prebuilt_assets.sources.cftc.settings import (
    DATASET,
    END_OF_FIRMS,
    ENTITY_REGISTRATIONS,
    FCM_REGISTRATIONS,
    HEADER_SEARCH_ROWS,
    RFED_REGISTRATIONS,
)
from prebuilt_assets.tabular import Output

_XLSX_MAGIC = b"PK\x03\x04"
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls
_LABELS = {normalise_label(c.label): c for c in FCM_COLUMNS}
_HEADER_MARKERS = {normalise_label("Registered As"), normalise_label(FCM_COLUMNS[0].label)}
_AMOUNT = re.compile(r"\(?-?[\d,]+(?:\.\d+)?\)?")


@dataclass(frozen=True)
class FcmReport:
    """The firms of one monthly workbook and what the parser noticed on the way."""

    report_month: date
    sheet: str
    header_row: int
    """1-based sheet row of the header labels."""
    rows: tuple[dict[str, Any], ...]
    """One dict per firm, keyed by FCM_SCHEMA column names."""
    extra_columns: tuple[str, ...]
    """Labels of columns the table does not know; their values are kept in ``extra_fields``."""
    missing_optional_columns: tuple[str, ...]
    skipped_rows: tuple[int, ...]
    """Sheet rows between the header and the totals block that hold something but are not firms."""


@dataclass(frozen=True)
class _Header:
    row: int
    columns: dict[str, int]  # column name -> 0-based cell index
    extras: dict[str, int]  # label as written -> 0-based cell index


def read_fcm_workbook(path: Path, report_month: date, source_url: str | None = None) -> FcmReport:
    """Read the downloaded workbook at ``path``; ``report_month`` comes from the index page.

    Raises SourceFormatError when the file is not an .xlsx workbook (an HTML page, a legacy .xls),
    has no header row, lacks or duplicates a required column (naming it), holds a value of the
    wrong type (naming the cell), or lists no firm.
    """
    where = source_url or path.name
    _check_is_xlsx(path, where)
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
        raise SourceFormatError(DATASET, where, f"not a readable .xlsx workbook ({exc})") from exc
    sheets = workbook.sheetnames
    try:
        for sheet in workbook.worksheets:
            # Read-only sheets trust the file's <dimension>, which some writers get wrong and
            # which would cut rows short; without it each row is as long as its last cell.
            sheet.reset_dimensions()
            header = _find_header(sheet, where)
            if header is not None:
                return _read_firms(sheet, header, report_month, where)
    finally:
        workbook.close()
    raise SourceFormatError(
        DATASET,
        where,
        f"no header row with 'Registered As' or the firm-name label in the first "
        f"{HEADER_SEARCH_ROWS} rows of any sheet ({', '.join(sheets)})",
    )


def write_fcm_parquet(report: FcmReport, parquet: Path | Output) -> int:
    """Write the report's firms as one typed Parquet file (a path or a writable stream); returns the
    row count."""
    table = fcm_table(report.rows)
    pq.write_table(table, str(parquet) if isinstance(parquet, Path) else parquet, compression="zstd")
    return table.num_rows


def _check_is_xlsx(path: Path, where: str) -> None:
    with path.open("rb") as handle:
        head = handle.read(65536)
    if head.startswith(_XLSX_MAGIC):
        return
    if head.startswith(_OLE2_MAGIC):
        problem = "a legacy .xls workbook; only the .xlsx layout is supported"
    else:
        found = describe_html_page(head) or f"a file starting with {head[:8]!r}"
        problem = f"got {found} instead of the .xlsx workbook"
    raise SourceFormatError(DATASET, where, problem)


def _find_header(sheet: Any, where: str) -> _Header | None:
    """The first row that holds the firm-name or "Registered As" label, mapped by label."""
    # Closed explicitly: a read-only sheet left half-read keeps the workbook file open.
    with closing(sheet.iter_rows(min_row=1, max_row=HEADER_SEARCH_ROWS, values_only=True)) as rows:
        for number, cells in enumerate(rows, start=1):
            labels = [normalise_label(cell) for cell in cells]
            if _HEADER_MARKERS & set(labels):
                return _map_header(number, cells, labels, where)
    return None


def _map_header(number: int, cells: Sequence[Any], labels: list[str], where: str) -> _Header:
    columns: dict[str, int] = {}
    extras: dict[str, int] = {}
    for index, label in enumerate(labels):
        column = _LABELS.get(label)
        if column is None:
            if label:
                extras[" ".join(str(cells[index]).split())] = index
            continue
        if column.name in columns:
            raise SourceFormatError(
                DATASET, where, f"column {column.label!r} appears twice in header row {number}"
            )
        columns[column.name] = index
    missing = [c.label for c in FCM_COLUMNS if c.required and c.name not in columns]
    if missing:
        found = [" ".join(str(cell).split()) for cell in cells if cell is not None]
        raise SourceFormatError(
            DATASET,
            where,
            f"required column {missing[0]!r} not found in header row {number}"
            f"{f' (also missing: {missing[1:]})' if missing[1:] else ''}; "
            f"the header holds: {found}",
        )
    return _Header(row=number, columns=columns, extras=extras)


def _read_firms(sheet: Any, header: _Header, report_month: date, where: str) -> FcmReport:
    name_at = header.columns["firm_name"]
    registered_at = header.columns["registered_as"]
    rows: list[dict[str, Any]] = []
    skipped: list[int] = []
    with closing(sheet.iter_rows(min_row=header.row + 1, values_only=True)) as cells_by_row:
        for number, cells in enumerate(cells_by_row, start=header.row + 1):
            name, registered = _cell(cells, name_at), _cell(cells, registered_at)
            registrations = _registrations(registered)
            if not registrations & ENTITY_REGISTRATIONS:
                if isinstance(name, str) and END_OF_FIRMS.match(name.strip()):
                    break
                if any(cell is not None and str(cell).strip() for cell in cells):
                    skipped.append(number)
                continue
            rows.append(_firm_row(cells, number, header, report_month, registrations, where))
    if not rows:
        raise SourceFormatError(
            DATASET, where, f"no firm row (Registered As FCM/RFED/FCMRFD) under header row {header.row}"
        )
    return FcmReport(
        report_month=report_month,
        sheet=sheet.title,
        header_row=header.row,
        rows=tuple(rows),
        extra_columns=tuple(header.extras),
        missing_optional_columns=tuple(c.label for c in FCM_COLUMNS if c.name not in header.columns),
        skipped_rows=tuple(skipped),
    )


def _firm_row(
    cells: Sequence[Any],
    number: int,
    header: _Header,
    report_month: date,
    registrations: set[str],
    where: str,
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "report_month": report_month,
        "source_row": number,
        "is_fcm": bool(registrations & FCM_REGISTRATIONS),
        "is_rfed": bool(registrations & RFED_REGISTRATIONS),
    }
    for column in FCM_COLUMNS:
        index = header.columns.get(column.name)
        if index is None:  # an optional column this workbook lacks
            row[column.name] = None
            continue
        try:
            row[column.name] = _typed(column, _cell(cells, index))
        except ValueError as exc:
            cell = f"{get_column_letter(index + 1)}{number}"
            raise SourceFormatError(DATASET, where, f"cell {cell} ({column.label}): {exc}") from exc
    if row.get("firm_name") is None:
        raise SourceFormatError(DATASET, where, f"firm row {number} has no name")
    extras = {label: _as_text(_cell(cells, index)) for label, index in header.extras.items()}
    row["extra_fields"] = {label: value for label, value in extras.items() if value is not None}
    return row


def _cell(cells: Sequence[Any], index: int) -> Any:
    return cells[index] if index < len(cells) else None


def _registrations(value: Any) -> set[str]:
    """The registration tokens of a "Registered As" cell: "FCM/BD" -> {"FCM", "BD"}."""
    if not isinstance(value, str):
        return set()
    return set(re.split(r"[^A-Z0-9]+", value.upper())) - {""}


def _typed(column: FcmColumn, value: Any) -> Any:
    if column.kind == "text":
        return _as_text(value)
    if column.kind == "date":
        return _as_date(value)
    return _as_dollars(value)


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    text = " ".join(str(value).split())
    return text or None


def _as_date(value: Any) -> date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return from_excel(value).date()  # an Excel date serial left unformatted
    for pattern in ("%m/%d/%Y", "%Y-%m-%d", "%B %d, %Y"):
        try:
            return datetime.strptime(str(value).strip(), pattern).date()
        except ValueError:
            continue
    raise ValueError(f"{value!r} is not a date")


def _as_dollars(value: Any) -> int | None:
    """Whole dollars. Blank stays None; 0 stays 0."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not an amount")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        # Formula results carry float noise (606632254.0000001); anything further off is not dollars.
        if abs(value - round(value)) > 0.01:
            raise ValueError(f"{value!r} is not a whole-dollar amount")
        return round(value)
    text = str(value).strip()
    if not text:
        return None
    if not _AMOUNT.fullmatch(text):
        raise ValueError(f"{value!r} is not an amount")
    number = Decimal(text.strip("()-").replace(",", ""))
    if number != number.to_integral_value():
        raise ValueError(f"{value!r} is not a whole-dollar amount")
    return -int(number) if text[0] in "(-" else int(number)

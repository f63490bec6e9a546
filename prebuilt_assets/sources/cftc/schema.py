"""The typed Parquet table of the CFTC FCM report: one row per FCM or RFED.

Workbook columns are found by header label, never by position. Labels are compared after
``normalise_label`` (line breaks and runs of spaces collapsed, apostrophes dropped, case folded).
The 18 labels marked required are confirmed verbatim by parsers of the live file: a workbook
missing one fails. The two "Target Residual Interest" labels of the Part 30 and cleared-swap
sections are inferred, so they are optional (null when absent).

Amounts are whole US dollars (int64). A blank cell means not available or not applicable and is
null; a 0 is a reported zero and stays 0. Columns the table does not know are kept, as text, in
``extra_fields`` (label -> value).

| column | workbook label | type |
|---|---|---|
| report_month | (index page "As of Date") last day of the report month | date, not null |
| source_row | (sheet row number of the firm, for tracing) | int32, not null |
| firm_name | Futures Commission Merchant / Retail Foreign Exchange Dealer | text, not null |
| registered_as | Registered As, e.g. FCM, FCM/BD, RFED, FCMRFD | text |
| is_fcm | (Registered As holds FCM or FCMRFD) | bool |
| is_rfed | (Registered As holds RFED or FCMRFD) | bool |
| dsro | DSRO: designated self-regulatory organisation, e.g. CME, NFA | text |
| as_of_date | As of Date: the firm's own as-of date, may be an earlier month-end | date |
| other columns | the label in ``FCM_COLUMNS`` below | int64 USD |
| extra_fields | any column with a label not listed here | map<text, text> |
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

# Part of every version's content hash: bump it when parsing or the table changes.
SCHEMA_VERSION = "cftc_fcm/1"


@dataclass(frozen=True)
class FcmColumn:
    """A workbook column the table reads, by label."""

    name: str
    label: str
    kind: str
    """``text``, ``date`` or ``usd``."""
    required: bool = True


FCM_COLUMNS: tuple[FcmColumn, ...] = (
    FcmColumn("firm_name", "Futures Commission Merchant / Retail Foreign Exchange Dealer", "text"),
    FcmColumn("registered_as", "Registered As", "text"),
    FcmColumn("dsro", "DSRO", "text"),
    FcmColumn("as_of_date", "As of Date", "date"),
    FcmColumn("adjusted_net_capital", "Adjusted Net Capital", "usd"),
    FcmColumn("net_capital_requirement", "Net Capital Requirement", "usd"),
    FcmColumn("excess_net_capital", "Excess Net Capital", "usd"),
    FcmColumn("customer_seg_assets", "Customers' Assets in Seg", "usd"),
    FcmColumn("customer_seg_required", "Customers' Seg Required 4d(a)(2)", "usd"),
    FcmColumn("customer_seg_excess", "Excess/Deficient Funds in Seg", "usd"),
    FcmColumn("customer_seg_target_residual_interest", "Target Residual Interest in Seg", "usd"),
    FcmColumn("part30_secured_funds", "Funds in Separate Section 30.7 Accounts", "usd"),
    FcmColumn("part30_secured_required", "Customer Amount Pt. 30 Required", "usd"),
    FcmColumn("part30_secured_excess", "Excess/Deficient Funds in Separate Section 30.7 Accounts", "usd"),
    FcmColumn(
        "part30_target_residual_interest",
        "Target Residual Interest in Separate Section 30.7 Accounts",
        "usd",
        required=False,
    ),
    FcmColumn("cleared_swap_seg_funds", "Funds in Separate Cleared Swap Segregation", "usd"),
    FcmColumn("cleared_swap_seg_required", "Customer Amount Cleared Swap Seg Required", "usd"),
    FcmColumn("cleared_swap_seg_excess", "Excess/Deficient Funds in Cleared Swap Seg Accounts", "usd"),
    FcmColumn(
        "cleared_swap_seg_target_residual_interest",
        "Target Residual Interest in Cleared Swap Seg",
        "usd",
        required=False,
    ),
    FcmColumn("retail_forex_obligation", "Total Amount of Retail Forex Obligation", "usd"),
)

_ARROW_TYPES = {"text": pa.string(), "date": pa.date32(), "usd": pa.int64()}

FCM_SCHEMA = pa.schema(
    [
        pa.field("report_month", pa.date32(), nullable=False),
        pa.field("source_row", pa.int32(), nullable=False),
        pa.field("firm_name", pa.string(), nullable=False),
        pa.field("registered_as", pa.string()),
        pa.field("is_fcm", pa.bool_()),
        pa.field("is_rfed", pa.bool_()),
        *(pa.field(c.name, _ARROW_TYPES[c.kind]) for c in FCM_COLUMNS[2:]),
        pa.field("extra_fields", pa.map_(pa.string(), pa.string())),
    ]
)

_APOSTROPHES = str.maketrans("", "", "'\u2018\u2019\u02bc\u00b4`")


def normalise_label(value: object) -> str:
    """The comparable form of a header cell: whitespace collapsed, apostrophes dropped, case folded.

    ``"Customers\u2019 Assets\\nin Seg"`` and ``"Customers' Assets in Seg"`` both give
    ``"customers assets in seg"``.
    """
    if value is None:
        return ""
    return " ".join(str(value).translate(_APOSTROPHES).split()).casefold()


def fcm_table(rows: Iterable[Mapping[str, Any]]) -> pa.Table:
    """The FCM_SCHEMA table of firm rows keyed by column name (missing keys are null)."""
    rows = list(rows)
    return pa.Table.from_pydict(
        {field.name: [row.get(field.name) for row in rows] for field in FCM_SCHEMA}, schema=FCM_SCHEMA
    )

"""Output schema of ``ecb_mfi``: the 14 columns of the published list, all text (identifiers,
names, postcodes: nothing here is a number). Trimmed; empty becomes null."""

from __future__ import annotations

import pyarrow as pa

from prebuilt_assets.tabular import Column, TableSpec

SCHEMA_VERSION = "ecb_mfi/1"

_S = pa.string()
SPEC = TableSpec(
    source="ecb_mfi",
    columns=(
        Column(
            "RIAD_CODE", _S, "MFI identifier = RIAD code (country-specific shapes, e.g. FR30004, DEB1GR3)"
        ),
        Column("LEI", _S, "Legal Entity Identifier; null for ~15% of rows"),
        Column("COUNTRY_OF_REGISTRATION", _S, "ISO 3166 alpha-2, or E$ for the ECB and the EIB"),
        Column("NAME", _S, "Name as published (may contain literal double quotes)"),
        Column("BOX", _S, "PO box"),
        Column("ADDRESS", _S, "Street address (leading/trailing spaces and NBSP trimmed)"),
        Column("POSTAL", _S, "Postcode, as text"),
        Column("CITY", _S, "City"),
        Column("CATEGORY", _S, "Credit Institution | Money Market Fund | Other Institution | Central Bank"),
        Column("HEAD_COUNTRY_OF_REGISTRATION", _S, "Head office country (foreign branches only)"),
        Column("HEAD_NAME", _S, "Head office name (foreign branches only)"),
        Column("HEAD_RIAD_CODE", _S, "Head office RIAD code (foreign branches only)"),
        Column("HEAD_LEI", _S, "Head office LEI (foreign branches only)"),
        Column(
            "REPORT", _S, "BSI statistics reporting status: full (non-tail) reporter, tail reporter, or null"
        ),
    ),
    required=frozenset({"RIAD_CODE", "COUNTRY_OF_REGISTRATION", "NAME", "CATEGORY"}),
    key=("RIAD_CODE",),
)

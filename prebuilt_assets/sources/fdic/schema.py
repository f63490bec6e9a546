"""Output schemas of ``fdic_institutions`` and ``fdic_locations``.

BankFind sends most codes as strings and amounts as numbers, but not consistently across years
(``CERT`` was a string in 2020, a number in 2026; ``EQ`` is a string): every value is coerced to the
declared type. Amounts are in thousands of USD. Dates arrive as ``MM/DD/YYYY`` (and ``DD-Mon-YYYY``
for the CFPB dates); ``12/31/9999`` means "open" and is kept as 9999-12-31. Codes that can have
leading zeros (ZIP, county, state and CBSA numbers) stay text.
"""

from __future__ import annotations

import pyarrow as pa

from prebuilt_assets.tabular import Column, TableSpec

SCHEMA_VERSION = "fdic/1"

DATE = pa.date32()
RATIO = pa.decimal128(12, 4)


def _cols(arrow_type: pa.DataType, names: str, description: str) -> list[Column]:
    return [Column(n, arrow_type, description) for n in names.split()]


def _numbered(prefix: str, count: int, suffix: str = "") -> str:
    return " ".join(f"{prefix}{i:02d}{suffix}" if suffix else f"{prefix}{i}" for i in range(1, count + 1))


INSTITUTIONS = TableSpec(
    source="fdic_institutions",
    columns=tuple(
        _cols(pa.int64(), "CERT", "FDIC certificate number (key)")
        + _cols(pa.string(), "NAME", "Institution name")
        + _cols(pa.bool_(), "ACTIVE INACTIVE", "Open and insured (1) / closed (0)")
        + _cols(
            pa.int64(),
            "FED_RSSD RSSDHCR UNINUM ULTCERT PARCERT NEWCERT CERTCONS DOCKET CHARTER",
            "Identifier",
        )
        + _cols(pa.int64(), "ASSET DEP DEPDOM EQ NETINC NETINCQ", "Amount, thousands of USD")
        + _cols(RATIO, "ROA ROAQ ROAPTX ROAPTXQ ROE ROEQ", "Ratio in percent")
        + _cols(pa.int32(), "OFFICES OFFDOM OFFFOR OFFOA CBSA_METRO", "Count or number")
        + _cols(pa.int16(), "SPECGRP CLCODE FED OCCDIST OTSDIST QBPRCOML", "Numeric code")
        + _cols(pa.int32(), _numbered("CHANGEC", 15), "Structure change code")
        + _cols(
            pa.bool_(),
            "INSFDIC INSDIF INSBIF INSSAIF INSCOML INSSAVE CFPBFLAG FEDCHRTR STCHRTR SASSER IBA OAKAR INSTCRCD "
            "CB TRUST MUTUAL DENOVO SUBCHAPS FORM31 CONSERVE LAW_SASSER_FLG CBSA_METRO_FLG CBSA_MICRO_FLG "
            "CBSA_DIV_FLG CSA_FLG",
            "Flag",
        )
        + _cols(
            DATE,
            "ESTYMD INSDATE ENDEFYMD EFFDATE PROCDATE DATEUPDT REPDTE RISDATE RUNDATE INSDROPDATE CFPBEFFDTE CFPBENDDTE",
            "Date (9999-12-31 = open)",
        )
        + _cols(pa.string(), "ADDRESS CITY COUNTY STALP STNAME STNUM STCNTY ZIP", "Place")
        + _cols(pa.float64(), "LATITUDE LONGITUDE", "WGS84 degrees")
        + _cols(
            pa.string(),
            "CBSA CBSA_NO CBSA_DIV CBSA_DIV_NO CSA CSA_NO MSA MSA_NO CMSA CMSA_NO NAMEHCR CITYHCR STALPHCR HCTMULT "
            "BKCLASS CHRTAGNT REGAGNT REGAGENT2 INSAGNT1 INSAGNT2 INSTAG FDICDBS FDICREGN FDICSUPV FLDOFF SUPRV_FD "
            "OTSREGNM TRACT SPECGRPN WEBADDR MDI_STATUS_CODE MDI_STATUS_DESC INSDROPDATE_RAW ID",
            "Code or text",
        )
        + _cols(pa.string(), _numbered("PRIORNAME", 10), "Earlier name")
        + _cols(
            pa.string(),
            _numbered("TE", 10, "N528") + " " + _numbered("TE", 6, "N529"),
            "Web address / trade name",
        )
    ),
    required=frozenset({"CERT", "NAME", "ACTIVE"}),
    key=("CERT",),
)

LOCATIONS = TableSpec(
    source="fdic_locations",
    columns=tuple(
        _cols(pa.int64(), "UNINUM", "Unique number of the office (key)")
        + _cols(pa.int64(), "CERT", "FDIC certificate number of the institution")
        + _cols(pa.string(), "NAME OFFNAME", "Institution name; office name")
        + _cols(pa.int32(), "OFFNUM SERVTYPE CBSA_METRO", "Office number; service type code; number")
        + _cols(pa.bool_(), "MAINOFF CBSA_METRO_FLG CBSA_MICRO_FLG CBSA_DIV_FLG CSA_FLG", "Flag")
        + _cols(pa.int64(), "FI_UNINUM", "Unique number of the institution")
        + _cols(DATE, "ESTYMD RUNDATE", "Date")
        + _cols(pa.float64(), "LATITUDE LONGITUDE", "WGS84 degrees")
        + _cols(
            pa.string(),
            "SERVTYPE_DESC ADDRESS CITY COUNTY STALP STNAME ZIP STCNTY CBSA CBSA_NO CBSA_DIV CBSA_DIV_NO "
            "CBSA_METRO_NAME CSA CSA_NO BKCLASS MDI_STATUS_CODE MDI_STATUS_DESC ID",
            "Code or text",
        )
    ),
    required=frozenset({"UNINUM", "CERT", "NAME"}),
    key=("UNINUM",),
)

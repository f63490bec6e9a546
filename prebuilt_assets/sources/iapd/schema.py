"""The flat Parquet tables of the IAPD feeds: one typed row per firm or individual.

The JSONL output keeps every record whole (see ``parse.py``); these tables keep the core fields with
real types. Each column is declared once below with the path it comes from, and that description is
also stored in the Parquet field metadata (key ``description``). Paths read ``Element@Attribute``
inside one ``<Firm>`` or ``<Indvl>``.

Firms (``iapd_sec_advisers`` and ``iapd_state_advisers`` share one schema so editions and feeds union):
registration columns come from ``Rgstn`` (SEC feed only); the state feed registers with each state
in ``StateRgstn/Rgltrs/Rgltr``, counted in ``state_registration_count``, and its exempt reporting
advisers in ``ERA/Rgltrs/Rgltr``. ERAs file no Item 5, so their employee and AUM columns are null.

Individuals (``iapd_representatives``): "primary employer" is the first ``CrntEmps/CrntEmp`` in feed
order; all employers and registrations stay in the JSONL.

Conventions: an absent or empty attribute is null; ``Y``/``N`` flags are booleans; dates are
``YYYY-MM-DD`` in the feed; amounts are whole US dollars.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import pyarrow as pa

from prebuilt_assets.sources.iapd.settings import IapdFeed

# Part of every version's content hash: bump it when parsing or either output changes, so the next
# run publishes again even when upstream did not move.
SCHEMA_VERSION = "iapd/1"


@dataclass(frozen=True)
class Column:
    """One Parquet column and where its value comes from."""

    name: str
    type: pa.DataType
    description: str
    nullable: bool = True


def schema_of(columns: Sequence[Column]) -> pa.Schema:
    """The pyarrow schema of ``columns``, each field carrying its description as metadata."""
    return pa.schema(
        pa.field(c.name, c.type, nullable=c.nullable, metadata={"description": c.description})
        for c in columns
    )


FIRM_COLUMNS: tuple[Column, ...] = (
    Column("generated_on", pa.date32(), "root @GenOn: the day the feed was generated"),
    Column("firm_crd", pa.int64(), "Info@FirmCrdNb: CRD number, the firm's key", nullable=False),
    Column("sec_number", pa.string(), "Info@SECNb: SEC file number, e.g. 801-135399 (SEC feed)"),
    Column("sec_region", pa.string(), "Info@SECRgnCD: SEC regional office, e.g. NYRO"),
    Column("business_name", pa.string(), "Info@BusNm"),
    Column("legal_name", pa.string(), "Info@LegalNm"),
    Column("umbrella_registration", pa.bool_(), "Info@UmbrRgstn (Y/N)"),
    Column("main_street1", pa.string(), "MainAddr@Strt1"),
    Column("main_street2", pa.string(), "MainAddr@Strt2"),
    Column("main_city", pa.string(), "MainAddr@City"),
    Column("main_state", pa.string(), "MainAddr@State"),
    Column("main_country", pa.string(), "MainAddr@Cntry"),
    Column("main_postal_code", pa.string(), "MainAddr@PostlCd (text: leading zeros, ZIP+4)"),
    Column("main_phone", pa.string(), "MainAddr@PhNb"),
    Column("website", pa.string(), "first FormInfo/Part1A/Item1/WebAddrs/WebAddr"),
    Column("firm_type", pa.string(), "Rgstn@FirmType: Registered or ERA (SEC feed)"),
    Column("registration_status", pa.string(), "Rgstn@St, e.g. APPROVED, ACTIVE (SEC feed)"),
    Column("registration_date", pa.date32(), "Rgstn@Dt (SEC feed)"),
    Column("notice_filing_count", pa.int32(), "number of NoticeFiled/States; null when absent"),
    Column("state_registration_count", pa.int32(), "number of StateRgstn/Rgltrs/Rgltr; null when absent"),
    Column("state_era_count", pa.int32(), "number of ERA/Rgltrs/Rgltr; null when absent"),
    Column("latest_filing_date", pa.date32(), "Filing@Dt: date of the Form ADV filing shown"),
    Column("form_version", pa.string(), "Filing@FormVrsn, e.g. 10/2021"),
    Column("organization_form", pa.string(), "Item3A@OrgFormNm, e.g. Corporation"),
    Column("total_employees", pa.int64(), "Item5A@TtlEmp"),
    Column("manages_portfolios", pa.bool_(), "Item5F@Q5F1: continuous and regular supervisory services"),
    Column("discretionary_aum", pa.int64(), "Item5F@Q5F2A: discretionary regulatory AUM, USD"),
    Column("non_discretionary_aum", pa.int64(), "Item5F@Q5F2B: non-discretionary regulatory AUM, USD"),
    Column("total_aum", pa.int64(), "Item5F@Q5F2C: total regulatory AUM, USD"),
    Column("discretionary_accounts", pa.int64(), "Item5F@Q5F2D"),
    Column("non_discretionary_accounts", pa.int64(), "Item5F@Q5F2E"),
    Column("total_accounts", pa.int64(), "Item5F@Q5F2F"),
    Column("non_us_client_aum", pa.int64(), "Item5F@Q5F3: AUM of non-US clients, USD"),
)
FIRM_SCHEMA = schema_of(FIRM_COLUMNS)

REPRESENTATIVE_COLUMNS: tuple[Column, ...] = (
    Column("generated_on", pa.date32(), "root @GenOn: the day the feed member was generated"),
    Column("individual_crd", pa.int64(), "Info@indvlPK: CRD number, the person's key", nullable=False),
    Column("last_name", pa.string(), "Info@lastNm"),
    Column("first_name", pa.string(), "Info@firstNm"),
    Column("middle_name", pa.string(), "Info@midNm"),
    Column("suffix_name", pa.string(), "Info@sufNm"),
    Column("active_ag_registration", pa.bool_(), "Info@actvAGReg (Y/N)"),
    Column("profile_url", pa.string(), "Info@link"),
    Column("current_employer_count", pa.int32(), "number of CrntEmps/CrntEmp"),
    Column("primary_employer_name", pa.string(), "first CrntEmp@orgNm"),
    Column("primary_employer_crd", pa.int64(), "first CrntEmp@orgPK: the firm's CRD number"),
    Column("primary_employer_city", pa.string(), "first CrntEmp@city"),
    Column("primary_employer_state", pa.string(), "first CrntEmp@state"),
    Column("current_registration_count", pa.int32(), "number of CrntRgstn under all current employers"),
    Column("exam_count", pa.int32(), "number of Exms/Exm"),
    Column("previous_registration_count", pa.int32(), "number of PrevRgstns/PrevRgstn"),
    Column("has_disclosures", pa.bool_(), "any DRPs/DRP@has* flag is Y; null when DRPs is absent"),
)
REPRESENTATIVE_SCHEMA = schema_of(REPRESENTATIVE_COLUMNS)


def firm_row(firm: Mapping[str, Any], generated_on: date | None) -> tuple[Any, ...]:
    """The FIRM_SCHEMA values of one nested firm record, in column order.

    Raises ValueError naming the attribute when a value does not have its documented type.
    """
    info = _child(firm, "Info")
    address = _child(firm, "MainAddr")
    registration = _child(firm, "Rgstn")
    filing = _child(firm, "Filing")
    part1a = _child(_child(firm, "FormInfo"), "Part1A")
    item5f = _child(part1a, "Item5F")
    websites = _items(_child(part1a, "Item1"), "WebAddrs")
    return (
        generated_on,
        _required_int(info, "FirmCrdNb"),
        _str(info, "SECNb"),
        _str(info, "SECRgnCD"),
        _str(info, "BusNm"),
        _str(info, "LegalNm"),
        _bool(info, "UmbrRgstn"),
        _str(address, "Strt1"),
        _str(address, "Strt2"),
        _str(address, "City"),
        _str(address, "State"),
        _str(address, "Cntry"),
        _str(address, "PostlCd"),
        _str(address, "PhNb"),
        websites[0] if websites and websites[0].__class__ is str else None,
        _str(registration, "FirmType"),
        _str(registration, "St"),
        _date(registration, "Dt"),
        _count(firm.get("NoticeFiled")),
        _count(_child(firm, "StateRgstn").get("Rgltrs")),
        _count(_child(firm, "ERA").get("Rgltrs")),
        _date(filing, "Dt"),
        _str(filing, "FormVrsn"),
        _str(_child(part1a, "Item3A"), "OrgFormNm"),
        _int(_child(part1a, "Item5A"), "TtlEmp"),
        _bool(item5f, "Q5F1"),
        _int(item5f, "Q5F2A"),
        _int(item5f, "Q5F2B"),
        _int(item5f, "Q5F2C"),
        _int(item5f, "Q5F2D"),
        _int(item5f, "Q5F2E"),
        _int(item5f, "Q5F2F"),
        _int(item5f, "Q5F3"),
    )


def representative_row(individual: Mapping[str, Any], generated_on: date | None) -> tuple[Any, ...]:
    """The REPRESENTATIVE_SCHEMA values of one nested individual record, in column order.

    Raises ValueError naming the attribute when a value does not have its documented type.
    """
    info = _child(individual, "Info")
    employers = [e for e in _items(individual, "CrntEmps") if isinstance(e, dict)]
    primary = employers[0] if employers else {}
    disclosures = individual.get("DRPs")
    return (
        generated_on,
        _required_int(info, "indvlPK"),
        _str(info, "lastNm"),
        _str(info, "firstNm"),
        _str(info, "midNm"),
        _str(info, "sufNm"),
        _bool(info, "actvAGReg"),
        _str(info, "link"),
        len(employers),
        _str(primary, "orgNm"),
        _int(primary, "orgPK"),
        _str(primary, "city"),
        _str(primary, "state"),
        sum(len(_items(employer, "CrntRgstns")) for employer in employers),
        len(_items(individual, "Exms")),
        len(_items(individual, "PrevRgstns")),
        None if disclosures is None else _any_flag_set(disclosures),
    )


_EMPTY: Mapping[str, Any] = {}

RowBuilder = Callable[[Mapping[str, Any], date | None], tuple[Any, ...]]


@dataclass(frozen=True)
class FlatTable:
    """The flat table of a feed: its schema and the function building one row from a record."""

    schema: pa.Schema
    row: RowBuilder


def flat_table_for(feed: IapdFeed) -> FlatTable:
    """Firms' table for the two firm feeds, representatives' table for the individuals feed."""
    if feed.record_tag == "Indvl":
        return FlatTable(REPRESENTATIVE_SCHEMA, representative_row)
    return FlatTable(FIRM_SCHEMA, firm_row)


# The helpers below run ~20 times per record of a 240,000-record feed: they test exact classes
# (records are plain dicts, lists and strs) because isinstance against ABCs costs several times more.


def _child(parent: Mapping[str, Any], tag: str) -> Mapping[str, Any]:
    value = parent.get(tag)
    if value.__class__ is list:  # an element the feed repeated unexpectedly: its first occurrence
        value = value[0] if value else None
    return value if value.__class__ is dict else _EMPTY


def _items(parent: Mapping[str, Any], tag: str) -> list[Any]:
    value = parent.get(tag)
    return value if value.__class__ is list else []


def _count(value: Any) -> int | None:
    return len(value) if value.__class__ is list else None


def _any_flag_set(disclosures: Any) -> bool:
    entries = disclosures if disclosures.__class__ is list else [disclosures]
    return any(
        value == "Y"
        for entry in entries
        if entry.__class__ is dict
        for key, value in entry.items()
        if key.startswith("has")
    )


def _str(element: Mapping[str, Any], name: str) -> str | None:
    value = element.get(name)
    return value if value.__class__ is str and value and not value.isspace() else None


def _int(element: Mapping[str, Any], name: str) -> int | None:
    value = _str(element, name)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{name}={value!r} is not a whole number") from None


def _required_int(element: Mapping[str, Any], name: str) -> int:
    value = _int(element, name)
    if value is None:
        raise ValueError(f"{name} is missing")
    return value


def _date(element: Mapping[str, Any], name: str) -> date | None:
    value = _str(element, name)
    if value is None:
        return None
    try:
        # Dates are YYYY-MM-DD; a time part, if one ever appears, carries no information here.
        return date.fromisoformat(value[:10])
    except ValueError:
        raise ValueError(f"{name}={value!r} is not a YYYY-MM-DD date") from None


def _bool(element: Mapping[str, Any], name: str) -> bool | None:
    value = _str(element, name)
    if value is None:
        return None
    if value == "Y":
        return True
    if value == "N":
        return False
    raise ValueError(f"{name}={value!r} is not Y or N")

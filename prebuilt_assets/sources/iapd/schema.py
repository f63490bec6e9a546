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
from typing import Any

import pyarrow as pa

from prebuilt_assets.sources.iapd.settings import IapdFeed

# Part of every version's content hash: bump it when parsing or either output changes, so the next
# run publishes again even when upstream did not move.
SCHEMA_VERSION = "iapd/1"


@dataclass(frozen=True)
class Column:
    """One Parquet column and where its value comes from.

    ``attribute`` names the feed attribute of an attribute column, whose values arrive as the feed's
    strings and are converted column-wise (``flat.py``); computed columns (counts, flags derived from
    several elements, ``generated_on``) have none and arrive typed.
    """

    name: str
    type: pa.DataType
    description: str
    nullable: bool = True
    attribute: str | None = None


def schema_of(columns: Sequence[Column]) -> pa.Schema:
    """The pyarrow schema of ``columns``, each field carrying its description as metadata."""
    return pa.schema(
        pa.field(c.name, c.type, nullable=c.nullable, metadata={"description": c.description})
        for c in columns
    )


FIRM_COLUMNS: tuple[Column, ...] = (
    Column("generated_on", pa.date32(), "root @GenOn: the day the feed was generated"),
    Column(
        "firm_crd",
        pa.int64(),
        "Info@FirmCrdNb: CRD number, the firm's key",
        nullable=False,
        attribute="FirmCrdNb",
    ),
    Column(
        "sec_number",
        pa.string(),
        "Info@SECNb: SEC file number, e.g. 801-135399 (SEC feed)",
        attribute="SECNb",
    ),
    Column("sec_region", pa.string(), "Info@SECRgnCD: SEC regional office, e.g. NYRO", attribute="SECRgnCD"),
    Column("business_name", pa.string(), "Info@BusNm", attribute="BusNm"),
    Column("legal_name", pa.string(), "Info@LegalNm", attribute="LegalNm"),
    Column("umbrella_registration", pa.bool_(), "Info@UmbrRgstn (Y/N)", attribute="UmbrRgstn"),
    Column("main_street1", pa.string(), "MainAddr@Strt1", attribute="Strt1"),
    Column("main_street2", pa.string(), "MainAddr@Strt2", attribute="Strt2"),
    Column("main_city", pa.string(), "MainAddr@City", attribute="City"),
    Column("main_state", pa.string(), "MainAddr@State", attribute="State"),
    Column("main_country", pa.string(), "MainAddr@Cntry", attribute="Cntry"),
    Column(
        "main_postal_code", pa.string(), "MainAddr@PostlCd (text: leading zeros, ZIP+4)", attribute="PostlCd"
    ),
    Column("main_phone", pa.string(), "MainAddr@PhNb", attribute="PhNb"),
    Column("website", pa.string(), "first FormInfo/Part1A/Item1/WebAddrs/WebAddr", attribute="WebAddr"),
    Column("firm_type", pa.string(), "Rgstn@FirmType: Registered or ERA (SEC feed)", attribute="FirmType"),
    Column("registration_status", pa.string(), "Rgstn@St, e.g. APPROVED, ACTIVE (SEC feed)", attribute="St"),
    Column("registration_date", pa.date32(), "Rgstn@Dt (SEC feed)", attribute="Dt"),
    Column("notice_filing_count", pa.int32(), "number of NoticeFiled/States; null when absent"),
    Column("state_registration_count", pa.int32(), "number of StateRgstn/Rgltrs/Rgltr; null when absent"),
    Column("state_era_count", pa.int32(), "number of ERA/Rgltrs/Rgltr; null when absent"),
    Column("latest_filing_date", pa.date32(), "Filing@Dt: date of the Form ADV filing shown", attribute="Dt"),
    Column("form_version", pa.string(), "Filing@FormVrsn, e.g. 10/2021", attribute="FormVrsn"),
    Column("organization_form", pa.string(), "Item3A@OrgFormNm, e.g. Corporation", attribute="OrgFormNm"),
    Column("total_employees", pa.int64(), "Item5A@TtlEmp", attribute="TtlEmp"),
    Column(
        "manages_portfolios",
        pa.bool_(),
        "Item5F@Q5F1: continuous and regular supervisory services",
        attribute="Q5F1",
    ),
    Column(
        "discretionary_aum", pa.int64(), "Item5F@Q5F2A: discretionary regulatory AUM, USD", attribute="Q5F2A"
    ),
    Column(
        "non_discretionary_aum",
        pa.int64(),
        "Item5F@Q5F2B: non-discretionary regulatory AUM, USD",
        attribute="Q5F2B",
    ),
    Column("total_aum", pa.int64(), "Item5F@Q5F2C: total regulatory AUM, USD", attribute="Q5F2C"),
    Column("discretionary_accounts", pa.int64(), "Item5F@Q5F2D", attribute="Q5F2D"),
    Column("non_discretionary_accounts", pa.int64(), "Item5F@Q5F2E", attribute="Q5F2E"),
    Column("total_accounts", pa.int64(), "Item5F@Q5F2F", attribute="Q5F2F"),
    Column("non_us_client_aum", pa.int64(), "Item5F@Q5F3: AUM of non-US clients, USD", attribute="Q5F3"),
)
FIRM_SCHEMA = schema_of(FIRM_COLUMNS)

REPRESENTATIVE_COLUMNS: tuple[Column, ...] = (
    Column("generated_on", pa.date32(), "root @GenOn: the day the feed member was generated"),
    Column(
        "individual_crd",
        pa.int64(),
        "Info@indvlPK: CRD number, the person's key",
        nullable=False,
        attribute="indvlPK",
    ),
    Column("last_name", pa.string(), "Info@lastNm", attribute="lastNm"),
    Column("first_name", pa.string(), "Info@firstNm", attribute="firstNm"),
    Column("middle_name", pa.string(), "Info@midNm", attribute="midNm"),
    Column("suffix_name", pa.string(), "Info@sufNm", attribute="sufNm"),
    Column("active_ag_registration", pa.bool_(), "Info@actvAGReg (Y/N)", attribute="actvAGReg"),
    Column("profile_url", pa.string(), "Info@link", attribute="link"),
    Column("current_employer_count", pa.int32(), "number of CrntEmps/CrntEmp"),
    Column("primary_employer_name", pa.string(), "first CrntEmp@orgNm", attribute="orgNm"),
    Column(
        "primary_employer_crd", pa.int64(), "first CrntEmp@orgPK: the firm's CRD number", attribute="orgPK"
    ),
    Column("primary_employer_city", pa.string(), "first CrntEmp@city", attribute="city"),
    Column("primary_employer_state", pa.string(), "first CrntEmp@state", attribute="state"),
    Column("current_registration_count", pa.int32(), "number of CrntRgstn under all current employers"),
    Column("exam_count", pa.int32(), "number of Exms/Exm"),
    Column("previous_registration_count", pa.int32(), "number of PrevRgstns/PrevRgstn"),
    Column("has_disclosures", pa.bool_(), "any DRPs/DRP@has* flag is Y; null when DRPs is absent"),
)
REPRESENTATIVE_SCHEMA = schema_of(REPRESENTATIVE_COLUMNS)


def firm_values(firm: Mapping[str, Any]) -> tuple[Any, ...]:
    """The raw values of FIRM_COLUMNS after ``generated_on``, in column order: attribute columns as the
    feed's strings (or None), computed columns typed. ``flat.py`` converts them column-wise."""
    info = _child(firm, "Info")
    address = _child(firm, "MainAddr")
    registration = _child(firm, "Rgstn")
    filing = _child(firm, "Filing")
    part1a = _child(_child(firm, "FormInfo"), "Part1A")
    item5f = _child(part1a, "Item5F")
    websites = _items(_child(part1a, "Item1"), "WebAddrs")
    get = info.get
    street = address.get
    return (
        get("FirmCrdNb"),
        get("SECNb"),
        get("SECRgnCD"),
        get("BusNm"),
        get("LegalNm"),
        get("UmbrRgstn"),
        street("Strt1"),
        street("Strt2"),
        street("City"),
        street("State"),
        street("Cntry"),
        street("PostlCd"),
        street("PhNb"),
        websites[0] if websites else None,
        registration.get("FirmType"),
        registration.get("St"),
        registration.get("Dt"),
        _count(firm.get("NoticeFiled")),
        _count(_child(firm, "StateRgstn").get("Rgltrs")),
        _count(_child(firm, "ERA").get("Rgltrs")),
        filing.get("Dt"),
        filing.get("FormVrsn"),
        _child(part1a, "Item3A").get("OrgFormNm"),
        _child(part1a, "Item5A").get("TtlEmp"),
        item5f.get("Q5F1"),
        item5f.get("Q5F2A"),
        item5f.get("Q5F2B"),
        item5f.get("Q5F2C"),
        item5f.get("Q5F2D"),
        item5f.get("Q5F2E"),
        item5f.get("Q5F2F"),
        item5f.get("Q5F3"),
    )


def representative_values(individual: Mapping[str, Any]) -> tuple[Any, ...]:
    """The raw values of REPRESENTATIVE_COLUMNS after ``generated_on`` (see ``firm_values``)."""
    info = individual.get("Info")
    if info.__class__ is not dict:
        info = _child(individual, "Info")
    employers = individual.get("CrntEmps")
    employers = [e for e in employers if e.__class__ is dict] if employers.__class__ is list else []
    primary = employers[0] if employers else _EMPTY
    disclosures = individual.get("DRPs")
    get = info.get
    return (
        get("indvlPK"),
        get("lastNm"),
        get("firstNm"),
        get("midNm"),
        get("sufNm"),
        get("actvAGReg"),
        get("link"),
        len(employers),
        primary.get("orgNm"),
        primary.get("orgPK"),
        primary.get("city"),
        primary.get("state"),
        _registrations(employers),
        _length(individual.get("Exms")),
        _length(individual.get("PrevRgstns")),
        None if disclosures is None else _any_flag_set(disclosures) if disclosures else False,
    )


_EMPTY: Mapping[str, Any] = {}

ValuesOf = Callable[[Mapping[str, Any]], tuple[Any, ...]]


@dataclass(frozen=True)
class FlatTable:
    """The flat table of a feed: its columns and the function taking one record's raw values."""

    columns: tuple[Column, ...]
    values: ValuesOf

    @property
    def schema(self) -> pa.Schema:
        return schema_of(self.columns)


def flat_table_for(feed: IapdFeed) -> FlatTable:
    """Firms' table for the two firm feeds, representatives' table for the individuals feed."""
    if feed.record_tag == "Indvl":
        return FlatTable(REPRESENTATIVE_COLUMNS, representative_values)
    return FlatTable(FIRM_COLUMNS, firm_values)


# The helpers below run several times per record of a 240,000-record feed: they test exact classes
# (records are plain dicts, lists and strs) because isinstance against ABCs costs several times more.


def _child(parent: Mapping[str, Any], tag: str) -> Mapping[str, Any]:
    value = parent.get(tag)
    if value.__class__ is list:  # an element the feed repeated unexpectedly: its first occurrence
        value = value[0] if value else None
    return value if value.__class__ is dict else _EMPTY


def _items(parent: Mapping[str, Any], tag: str) -> list[Any]:
    value = parent.get(tag)
    return value if value.__class__ is list else []


def _length(value: Any) -> int:
    return len(value) if value.__class__ is list else 0


def _registrations(employers: list[dict[str, Any]]) -> int:
    count = 0
    for employer in employers:
        registrations = employer.get("CrntRgstns")
        if registrations.__class__ is list:
            count += len(registrations)
    return count


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

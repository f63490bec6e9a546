"""Where the IAPD compilation reports live and how each of the three feeds is shaped.

Constants only: nothing here reads the environment or imports Dagster (``resources.py`` does).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

REAL_BASE_URL = "https://reports.adviserinfo.sec.gov"
MANIFEST_PATH = "/reports/CompilationReports/CompilationReports.manifest.json"
MANIFEST_URL = REAL_BASE_URL + MANIFEST_PATH


@dataclass(frozen=True)
class IapdFeed:
    """One compilation feed: how to find it in the manifest and how to read its XML."""

    name: str
    """Dataset name, also the asset name (``iapd_sec_advisers``)."""
    file_prefix: str
    """Start of the file name in the manifest (``IA_FIRM_SEC_Feed_``)."""
    container: str
    """``gzip`` (one XML document) or ``zip`` (one XML document per member)."""
    root_tag: str
    """Root element every document of this feed must have."""
    record_tag: str
    """Element holding one firm or one individual."""
    record_noun: str
    """What a record is, for messages (``firms``)."""
    member_pattern: re.Pattern[str] | None = None
    """For zip feeds: names of the members that hold data; any other member is ignored and reported."""


SEC_ADVISERS = IapdFeed(
    name="iapd_sec_advisers",
    file_prefix="IA_FIRM_SEC_Feed_",
    container="gzip",
    root_tag="IAPDFirmSECReport",
    record_tag="Firm",
    record_noun="firms",
)

STATE_ADVISERS = IapdFeed(
    name="iapd_state_advisers",
    file_prefix="IA_FIRM_STATE_Feed_",
    container="gzip",
    root_tag="IAPDFirmStateReport",
    record_tag="Firm",
    record_noun="firms",
)

REPRESENTATIVES = IapdFeed(
    name="iapd_representatives",
    file_prefix="IA_INDVL_Feed_",
    container="zip",
    root_tag="IAPDIndividualReport",
    record_tag="Indvl",
    record_noun="individuals",
    # Seen as ~20 members IA_Indvl_Feeds1.xml..IA_Indvl_Feeds20.xml, and once as a single member.
    member_pattern=re.compile(r"IA_Indvl_Feeds?[_\d]*\.xml", re.IGNORECASE),
)

FEEDS: tuple[IapdFeed, ...] = (SEC_ADVISERS, STATE_ADVISERS, REPRESENTATIVES)

# Elements that only wrap a run of repeated children. In the nested records each becomes a JSON list
# under its own name, also when it holds one child or none, so readers never meet "one dict or a
# list of dicts". A wrapper absent from the feed stays absent.
LIST_WRAPPERS = frozenset(
    {
        # firm feeds
        "WebAddrs",
        "NoticeFiled",
        "Rgltrs",
        # representatives feed
        "OthrNms",
        "CrntEmps",
        "CrntRgstns",
        "BrnchOfLocs",
        "Exms",
        "Dsgntns",
        "PrevRgstns",
        "EmpHss",
        "OthrBuss",
        "DRPs",
    }
)

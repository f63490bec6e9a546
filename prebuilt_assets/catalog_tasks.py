"""The prebuilt Background Tasks, as plain data the core can list without importing Dagster.

Importing this module imports nothing heavy (no dagster, no pyarrow): the task list, the UI and the
permission layer read it cheaply. The Dagster definitions in ``prebuilt_assets.sources`` build their
jobs and schedules from these same entries, so names cannot drift.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PrebuiltTask:
    """One prebuilt task: a Dagster job that materializes one asset publishing one Source."""

    name: str  # task name in the task list, "prebuilt.<source>"
    title: str
    description: str
    source: str  # Source name in the catalog
    format: str  # "parquet" or "jsonl"
    asset_key: tuple[str, ...]
    job_name: str  # the Dagster job to launch (in the prebuilt_assets code location)
    schedule_name: str
    cron: str
    timezone: str
    cadence: str  # human text
    group: str  # Dagster asset group
    # A second Source the same run publishes with the same records, nested, as JSONL (IAPD); the
    # Parquet Source above holds the flat core fields. See docs/prebuilt.md, "Two Sources per feed".
    nested_source: str | None = None


def _task(
    source: str,
    title: str,
    description: str,
    cron: str,
    timezone: str,
    cadence: str,
    group: str,
    nested_source: str | None = None,
) -> PrebuiltTask:
    return PrebuiltTask(
        name=f"prebuilt.{source}",
        title=title,
        description=description,
        source=source,
        format="parquet",
        asset_key=("prebuilt", source),
        job_name=f"prebuilt_{source}_job",
        schedule_name=f"prebuilt_{source}_schedule",
        cron=cron,
        timezone=timezone,
        cadence=cadence,
        group=group,
        nested_source=nested_source,
    )


PREBUILT_TASKS: list[PrebuiltTask] = [
    _task(
        "fdic_institutions",
        "FDIC BankFind: institutions",
        "Every FDIC-insured institution, active and inactive, from the BankFind Suite API "
        "(identity, location, holding company, history dates, financials in thousands of USD). Key: CERT.",
        cron="0 7 * * *",
        timezone="America/New_York",
        cadence="daily at 07:00 New York time (BankFind refreshes daily)",
        group="prebuilt_fdic",
    ),
    _task(
        "fdic_locations",
        "FDIC BankFind: branch locations",
        "Every office (main office and branches) of FDIC-insured institutions from the BankFind Suite API. "
        "Key: UNINUM; CERT links to fdic_institutions.",
        cron="15 7 * * *",
        timezone="America/New_York",
        cadence="daily at 07:15 New York time",
        group="prebuilt_fdic",
    ),
    _task(
        "ecb_mfi",
        "ECB: list of Monetary Financial Institutions",
        "The ECB's daily full list of MFIs (credit institutions, money market funds, central banks, other), "
        "with LEI, address, category and head office for branches. Key: RIAD_CODE.",
        cron="30 9 * * 1-5",
        timezone="Europe/Berlin",
        cadence="each business day at 09:30 Frankfurt time (the list is republished every business day)",
        group="prebuilt_ecb",
    ),
    _task(
        "nccs_501c3_pz",
        "NCCS Core: 501(c)(3) charities, scope PZ",
        "NCCS Core Series harmonized file of Form 990 and 990-EZ returns of 501(c)(3) public charities for the "
        "newest published tax year (one row per return). Key: EIN2 among non-duplicate returns.",
        cron="0 6 3 * *",
        timezone="UTC",
        cadence="monthly check on the 3rd at 06:00 UTC (new years are published rarely)",
        group="prebuilt_nccs",
    ),
    _task(
        "iapd_sec_advisers",
        "IAPD: SEC-registered investment advisers",
        "Every SEC-registered and exempt reporting investment adviser firm in the IAPD compilation report "
        "(IA_FIRM_SEC_Feed): identity, main address, registration, Form ADV Item 5 AUM. Flat core fields as "
        "Parquet; every firm whole and nested in the JSONL Source iapd_sec_advisers_nested. Key: firm_crd.",
        cron="30 6 * * 1-5",
        timezone="America/New_York",
        cadence="each business day at 06:30 New York time (a new edition most days)",
        group="prebuilt_iapd",
        nested_source="iapd_sec_advisers_nested",
    ),
    _task(
        "iapd_state_advisers",
        "IAPD: state-registered investment advisers",
        "Every state-registered investment adviser firm in the IAPD compilation report (IA_FIRM_STATE_Feed), "
        "with its state registrations. Flat core fields as Parquet; every firm whole and nested in the JSONL "
        "Source iapd_state_advisers_nested. Key: firm_crd.",
        cron="45 6 * * 1-5",
        timezone="America/New_York",
        cadence="each business day at 06:45 New York time",
        group="prebuilt_iapd",
        nested_source="iapd_state_advisers_nested",
    ),
    _task(
        "iapd_representatives",
        "IAPD: investment adviser representatives",
        "Every investment adviser representative in the IAPD compilation report (IA_INDVL_Feed): name, "
        "current employers and registrations, exams, history, disclosures. Flat core fields as Parquet; every "
        "individual whole and nested in the JSONL Source iapd_representatives_nested. Key: individual_crd.",
        cron="0 7 * * 1-5",
        timezone="America/New_York",
        cadence="each business day at 07:00 New York time",
        group="prebuilt_iapd",
        nested_source="iapd_representatives_nested",
    ),
    _task(
        "cftc_fcm_financials",
        "CFTC: financial data for FCMs and RFEDs",
        "The CFTC's monthly selected financial data of every futures commission merchant and retail foreign "
        "exchange dealer: adjusted net capital, requirement, customer segregated, Part 30 and cleared-swap "
        "funds, retail forex obligation, in whole USD, with the report month and each firm's as-of date. "
        "Key: firm_name (the report has no firm identifier).",
        cron="0 8 25 * *",
        timezone="America/New_York",
        cadence="monthly on the 25th at 08:00 New York time (a month's report appears 5-7 weeks after it ends)",
        group="prebuilt_cftc",
    ),
]

TASKS_BY_SOURCE: dict[str, PrebuiltTask] = {t.source: t for t in PREBUILT_TASKS}

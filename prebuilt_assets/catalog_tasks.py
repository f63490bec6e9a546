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


def _task(
    source: str, title: str, description: str, cron: str, timezone: str, cadence: str, group: str
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
]

TASKS_BY_SOURCE: dict[str, PrebuiltTask] = {t.source: t for t in PREBUILT_TASKS}

from __future__ import annotations

import dagster as dg

from prebuilt_assets.sources.ecb.assets import ecb_mfi
from prebuilt_assets.sources.ecb.checks import CHECKS
from prebuilt_assets.sources.ecb.schedules import JOB, SCHEDULE
from prebuilt_assets.sources.ecb.settings import EcbResource

defs = dg.Definitions(
    assets=[ecb_mfi], asset_checks=CHECKS, jobs=[JOB], schedules=[SCHEDULE], resources={"ecb": EcbResource()}
)

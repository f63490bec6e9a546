import dagster as dg

from prebuilt_assets.sources.nccs.assets import nccs_501c3_pz
from prebuilt_assets.sources.nccs.checks import CHECKS
from prebuilt_assets.sources.nccs.schedules import JOB, SCHEDULE
from prebuilt_assets.sources.nccs.settings import NccsResource

defs = dg.Definitions(
    assets=[nccs_501c3_pz],
    asset_checks=CHECKS,
    jobs=[JOB],
    schedules=[SCHEDULE],
    resources={"nccs": NccsResource()},
)

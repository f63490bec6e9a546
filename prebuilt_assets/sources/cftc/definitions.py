import dagster as dg

from prebuilt_assets.sources.cftc.assets import cftc_fcm_financials
from prebuilt_assets.sources.cftc.checks import CHECKS
from prebuilt_assets.sources.cftc.resources import CftcResource
from prebuilt_assets.sources.cftc.schedules import JOB, SCHEDULE

defs = dg.Definitions(
    assets=[cftc_fcm_financials],
    asset_checks=CHECKS,
    jobs=[JOB],
    schedules=[SCHEDULE],
    resources={"cftc": CftcResource()},
)

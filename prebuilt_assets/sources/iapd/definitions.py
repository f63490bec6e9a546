import dagster as dg

from prebuilt_assets.sources.iapd.assets import ASSETS
from prebuilt_assets.sources.iapd.checks import CHECKS
from prebuilt_assets.sources.iapd.resources import IapdResource
from prebuilt_assets.sources.iapd.schedules import JOBS, SCHEDULES

defs = dg.Definitions(
    assets=ASSETS, asset_checks=CHECKS, jobs=JOBS, schedules=SCHEDULES, resources={"iapd": IapdResource()}
)

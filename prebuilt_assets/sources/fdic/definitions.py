import dagster as dg

from prebuilt_assets.sources.fdic.assets import fdic_institutions, fdic_locations
from prebuilt_assets.sources.fdic.checks import CHECKS
from prebuilt_assets.sources.fdic.schedules import JOBS, SCHEDULES
from prebuilt_assets.sources.fdic.settings import FdicResource

defs = dg.Definitions(
    assets=[fdic_institutions, fdic_locations],
    asset_checks=CHECKS,
    jobs=JOBS,
    schedules=SCHEDULES,
    resources={"fdic": FdicResource()},
)

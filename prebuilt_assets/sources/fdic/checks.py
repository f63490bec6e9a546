from prebuilt_assets.checks import build_checks
from prebuilt_assets.sources.fdic.assets import INSTITUTIONS_TASK, LOCATIONS_TASK
from prebuilt_assets.sources.fdic.schema import INSTITUTIONS, LOCATIONS

CHECKS = [*build_checks(INSTITUTIONS_TASK, INSTITUTIONS.key), *build_checks(LOCATIONS_TASK, LOCATIONS.key)]

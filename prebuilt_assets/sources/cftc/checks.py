"""Checks of ``cftc_fcm_financials``: the report has no firm identifier, so the legal name is the key."""

from prebuilt_assets.checks import build_checks
from prebuilt_assets.sources.cftc.assets import TASK

CHECKS = build_checks(TASK, ("firm_name",))

"""Checks of the IAPD Sources: the common three on the flat table (key: the CRD number), and that the
nested JSONL Source holds the same edition."""

from prebuilt_assets.checks import build_checks, build_nested_check
from prebuilt_assets.sources.iapd.assets import REPRESENTATIVES_TASK, SEC_TASK, STATE_TASK

CHECKS = [
    *build_checks(SEC_TASK, ("firm_crd",)),
    build_nested_check(SEC_TASK),
    *build_checks(STATE_TASK, ("firm_crd",)),
    build_nested_check(STATE_TASK),
    *build_checks(REPRESENTATIVES_TASK, ("individual_crd",)),
    build_nested_check(REPRESENTATIVES_TASK),
]

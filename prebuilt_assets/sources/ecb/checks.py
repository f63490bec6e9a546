from __future__ import annotations

from prebuilt_assets.checks import build_checks
from prebuilt_assets.sources.ecb.assets import TASK
from prebuilt_assets.sources.ecb.schema import SPEC

CHECKS = build_checks(TASK, SPEC.key)

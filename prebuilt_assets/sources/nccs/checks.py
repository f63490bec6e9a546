"""Checks of ``nccs_501c3_pz``: EIN2 must be unique among non-duplicate returns."""

import pyarrow as pa
import pyarrow.compute as pc

from prebuilt_assets.checks import build_checks
from prebuilt_assets.sources.nccs.assets import TASK
from prebuilt_assets.sources.nccs.schema import SPEC


def non_duplicate_returns(table: pa.Table) -> pa.Table:
    return table.filter(pc.invert(pc.fill_null(table["DUP_RTRN_X"], False)))


CHECKS = build_checks(
    TASK,
    SPEC.key,
    key_filter=non_duplicate_returns,
    filter_columns=("DUP_RTRN_X",),
    filter_text="among non-duplicate returns (DUP_RTRN_X false)",
)

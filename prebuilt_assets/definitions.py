"""The prebuilt_assets code location: each source's definitions merged, plus the shared resources."""

import dagster as dg

from prebuilt_assets.resources import CatalogResource, HttpResource
from prebuilt_assets.sources.cftc.definitions import defs as cftc_defs
from prebuilt_assets.sources.ecb.definitions import defs as ecb_defs
from prebuilt_assets.sources.fdic.definitions import defs as fdic_defs
from prebuilt_assets.sources.iapd.definitions import defs as iapd_defs
from prebuilt_assets.sources.nccs.definitions import defs as nccs_defs

shared = dg.Definitions(resources={"catalog": CatalogResource(), "http": HttpResource()})

defs = dg.Definitions.merge(shared, fdic_defs, ecb_defs, nccs_defs, iapd_defs, cftc_defs)

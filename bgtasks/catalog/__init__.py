"""Sources and Source Versions: atomic publish, manifests, content hashes.

The API the service, the CLI and the prebuilt fetchers use::

    catalog = Catalog.from_settings()            # or Catalog("/data/catalog"), Catalog("s3://bucket/catalog")
    catalog.list_sources()                        # [SourceInfo]
    catalog.list_versions("ecb_mfi")              # [VersionInfo], oldest first
    catalog.get_version("ecb_mfi", None)          # Manifest of the current version
    catalog.list_files("ecb_mfi", version=None)   # [FileInfo] with locations to open

    catalog.ensure_source("ecb_mfi", "ECB list of MFIs", "parquet")
    with catalog.start_publish("ecb_mfi", content_hash=h, upstream=[...], run_id=run_id) as draft:
        with draft.open_file("ecb_mfi.parquet") as out:
            ...write to out...; out.rows = n
        result = draft.commit(schema)             # PublishResult: published | unchanged
"""

from bgtasks.catalog.catalog import Catalog, schema_to_json
from bgtasks.catalog.models import (
    FileEntry,
    FileInfo,
    Manifest,
    PublishResult,
    SourceInfo,
    Upstream,
    VersionInfo,
)
from bgtasks.catalog.storage import Storage
from bgtasks.catalog.writer import Draft, FileWriter

__all__ = [
    "Catalog",
    "Draft",
    "FileEntry",
    "FileInfo",
    "FileWriter",
    "Manifest",
    "PublishResult",
    "SourceInfo",
    "Storage",
    "Upstream",
    "VersionInfo",
    "schema_to_json",
]

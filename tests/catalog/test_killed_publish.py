"""A publishing process killed mid-write leaves the previous version current and nothing half-visible."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap

import pyarrow.parquet as pq

from bgtasks.catalog import Catalog
from tests.catalog.conftest import publish_table, table

WRITER = textwrap.dedent(
    """
    import sys, time
    import pyarrow as pa, pyarrow.parquet as pq
    from bgtasks.catalog import Catalog

    catalog = Catalog(sys.argv[1])
    schema = pa.schema([("id", pa.int64())])
    with catalog.start_publish("demo", content_hash="new") as draft:
        with draft.open_file("demo.parquet") as out:
            writer = pq.ParquetWriter(out, schema)
            for i in range(10_000):
                writer.write_table(pa.table({"id": pa.array(range(1000), pa.int64())}, schema=schema))
                if i == 2:
                    print("writing", flush=True)
                time.sleep(0.01)
    """
)


def test_kill_mid_write_keeps_previous_version(tmp_path):
    root = str(tmp_path / "catalog")
    catalog = Catalog(root)
    catalog.ensure_source("demo", "d", "parquet")
    before = publish_table(catalog, "demo", table(4), "old")

    proc = subprocess.Popen([sys.executable, "-c", WRITER, root], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "writing"
        staged = catalog.storage.list_dirs(catalog.storage.path("demo", "_staging"))
        assert len(staged) == 1, "the killed run had started writing"
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
        if proc.stdout is not None:
            proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL

    assert catalog.get_version("demo").version == before.version
    assert [v.version for v in catalog.list_versions("demo")] == [before.version]
    current = catalog.list_files("demo")[0]
    assert pq.read_table(current.location).num_rows == 4

    after = publish_table(catalog, "demo", table(6), "newer")
    assert after.current and catalog.get_version("demo").rows == 6

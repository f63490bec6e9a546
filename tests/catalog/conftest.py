from __future__ import annotations

import uuid

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bgtasks.catalog import Catalog, PublishResult, Upstream


@pytest.fixture(params=["dir", "file_uri", "memory"])
def catalog(request: pytest.FixtureRequest, tmp_path) -> Catalog:
    """The same catalog behaviour on a plain directory, a file:// URI and fsspec's memory://."""
    if request.param == "dir":
        return Catalog(str(tmp_path / "catalog"))
    if request.param == "file_uri":
        return Catalog((tmp_path / "catalog").as_uri())
    return Catalog(f"memory://catalog-{uuid.uuid4().hex}")


def publish_table(catalog: Catalog, name: str, table: pa.Table, content_hash: str, **kwargs) -> PublishResult:
    with catalog.start_publish(
        name,
        content_hash=content_hash,
        upstream=[Upstream(url="http://example.test/x", etag='"e1"')],
        **kwargs,
    ) as draft:
        with draft.open_file(f"{name}.parquet") as out:
            pq.write_table(table, out)
            out.rows = table.num_rows
        return draft.commit(table.schema, extra={"note": "test"})


def table(n: int) -> pa.Table:
    return pa.table({"id": pa.array(range(n), pa.int64()), "name": pa.array([f"row {i}" for i in range(n)])})

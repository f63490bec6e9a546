from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pyarrow.parquet as pq
import pytest

from bgtasks.catalog import Catalog
from bgtasks.catalog.models import new_version_id, version_time
from bgtasks.errors import InvalidInput, NotFound
from tests.catalog.conftest import publish_table, table


def test_version_ids_sort_by_time_and_never_repeat(monkeypatch):
    import bgtasks.catalog.models as models

    monkeypatch.setattr(models, "_last_stamp", "")  # ids made earlier in this process are later than `now`
    now = datetime(2026, 12, 2, 5, 12, 44, 318000, tzinfo=UTC)
    ids = [new_version_id(now) for _ in range(5)] + [new_version_id(now + timedelta(seconds=1))]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    assert version_time(ids[0]) == now


def test_publish_makes_a_current_version_with_a_full_manifest(catalog: Catalog):
    catalog.ensure_source("demo", "A demo source", "parquet")
    result = publish_table(catalog, "demo", table(3), "h1", run_id="run-1")

    assert result.status == "published" and result.current and result.previous_version is None
    manifest = catalog.get_version("demo")
    assert manifest.version == result.version
    assert manifest.rows == 3 and manifest.run_id == "run-1" and manifest.content_hash == "h1"
    assert [f.path for f in manifest.files] == ["demo.parquet"]
    assert manifest.bytes == manifest.files[0].bytes > 0
    assert len(manifest.files[0].sha256) == 64
    assert [c["name"] for c in manifest.schema] == ["id", "name"]
    assert manifest.schema[0]["type"] == "int64"
    assert manifest.upstream[0].etag == '"e1"'
    assert manifest.extra == {"note": "test"}

    files = catalog.list_files("demo")
    read = pq.read_table(
        catalog.file_path("demo", manifest.version, "demo.parquet"), filesystem=catalog.storage.fs
    )
    assert read.num_rows == files[0].rows == 3


def test_same_content_hash_makes_no_new_version(catalog: Catalog):
    catalog.ensure_source("demo", "d", "parquet")
    first = publish_table(catalog, "demo", table(3), "same")
    again = publish_table(catalog, "demo", table(3), "same")
    assert again.status == "unchanged" and again.version == first.version
    assert [v.version for v in catalog.list_versions("demo")] == [first.version]
    assert catalog.storage.list_dirs(catalog.storage.path("demo", "_staging")) == []


def test_new_content_becomes_current_and_history_is_kept(catalog: Catalog):
    catalog.ensure_source("demo", "d", "parquet")
    first = publish_table(catalog, "demo", table(3), "h1")
    second = publish_table(catalog, "demo", table(5), "h2")
    versions = catalog.list_versions("demo")
    assert [v.version for v in versions] == [first.version, second.version]
    assert [v.current for v in versions] == [False, True]
    assert second.previous_version == first.version
    assert catalog.get_version("demo").rows == 5
    assert catalog.get_version("demo", first.version).rows == 3
    assert catalog.previous_version("demo", second.version).version == first.version


def test_an_exception_inside_the_draft_leaves_the_current_version_and_no_trace(catalog: Catalog):
    catalog.ensure_source("demo", "d", "parquet")
    first = publish_table(catalog, "demo", table(3), "h1")
    with pytest.raises(RuntimeError), catalog.start_publish("demo", content_hash="h2") as draft:
        with draft.open_file("demo.parquet") as out:
            out.write(b"PAR1 half a file")
        raise RuntimeError("upstream went away")
    assert catalog.get_version("demo").version == first.version
    assert [v.version for v in catalog.list_versions("demo")] == [first.version]
    assert catalog.storage.list_dirs(catalog.storage.path("demo", "_staging")) == []


def test_an_older_draft_never_moves_current_backwards(catalog: Catalog):
    catalog.ensure_source("demo", "d", "parquet")
    older = catalog.start_publish("demo", content_hash="old")
    newer = catalog.start_publish("demo", content_hash="new")
    for draft in (newer, older):
        with draft.open_file("demo.parquet") as out:
            pq.write_table(table(1), out)
            out.rows = 1
    assert newer.commit(table(1).schema).current
    late = older.commit(table(1).schema)
    assert late.status == "published" and not late.current
    assert catalog.get_version("demo").version == newer.version
    assert len(catalog.list_versions("demo")) == 2


def test_sources_are_listed_and_validated(catalog: Catalog):
    assert catalog.list_sources() == []
    catalog.ensure_source("b_source", "second", "jsonl")
    catalog.ensure_source("a_source", "first", "parquet")
    catalog.ensure_source("a_source", "first, reworded", "parquet")
    assert [(s.name, s.format, s.description) for s in catalog.list_sources()] == [
        ("a_source", "parquet", "first, reworded"),
        ("b_source", "jsonl", "second"),
    ]
    with pytest.raises(InvalidInput):
        catalog.ensure_source("a_source", "first", "jsonl")
    with pytest.raises(InvalidInput):
        catalog.ensure_source("Bad-Name", "x", "parquet")
    with pytest.raises(NotFound):
        catalog.get_version("a_source")
    with pytest.raises(NotFound):
        catalog.list_versions("missing")


def test_sweep_removes_only_stale_uncommitted_leftovers(catalog: Catalog):
    catalog.ensure_source("demo", "d", "parquet")
    kept = publish_table(catalog, "demo", table(1), "h1")
    stale = (datetime.now(UTC) - timedelta(days=3)).strftime("%Y%m%dT%H%M%S%fZ") + "-abcdef"
    fresh = new_version_id()
    for area, version in [("_staging", stale), ("versions", stale), ("_staging", fresh)]:
        with catalog.storage.open_output(catalog.storage.path("demo", area, version, "x.parquet")) as out:
            out.write(b"partial")
    assert sorted(catalog.sweep("demo")) == [f"_staging/{stale}", f"versions/{stale}"]
    assert catalog.storage.list_dirs(catalog.storage.path("demo", "_staging")) == [fresh]
    assert [v.version for v in catalog.list_versions("demo")] == [kept.version]


def test_concurrent_publishes_leave_a_valid_pointer_to_the_newest(tmp_path):
    catalog = Catalog(str(tmp_path / "catalog"))
    catalog.ensure_source("demo", "d", "parquet")
    drafts = [catalog.start_publish("demo", content_hash=f"h{i}") for i in range(8)]
    for d in drafts:
        with d.open_file("demo.parquet") as out:
            pq.write_table(table(2), out)
            out.rows = 2
    barrier = threading.Barrier(len(drafts))
    errors: list[BaseException] = []

    def commit(d):
        barrier.wait()
        try:
            d.commit(table(2).schema)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=commit, args=(d,)) for d in reversed(drafts)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert catalog.get_version("demo").version == drafts[-1].version
    assert len(catalog.list_versions("demo")) == 8

"""Output extraction from a tar stream: hashes, sizes, and refusal of anything unsafe."""

import hashlib
import io
import tarfile

import pytest

from bgtasks.errors import TooLarge
from bgtasks.execution.outputs import empty_output_dir_archive, extract_outputs


def archive(entries) -> list[bytes]:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, content, kind in entries:
            info = tarfile.TarInfo(name)
            if kind == "dir":
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            elif kind == "link":
                info.type = tarfile.SYMTYPE
                info.linkname = content
                tar.addfile(info)
            else:
                info.size = len(content)
                tar.addfile(info, io.BytesIO(content))
    data = buffer.getvalue()
    return [data[i : i + 1000] for i in range(0, len(data), 1000)]  # odd chunk sizes, as from the engine


def test_files_are_kept_with_size_and_sha256(tmp_path):
    body = b"x" * 5000
    collected = extract_outputs(
        archive(
            [("output", b"", "dir"), ("output/a.csv", body, "file"), ("output/sub/b.txt", b"hi", "file")]
        ),
        tmp_path,
        max_bytes=10_000,
    )
    assert [(f.name, f.bytes, f.sha256) for f in collected.files] == [
        ("a.csv", 5000, hashlib.sha256(body).hexdigest()),
        ("sub/b.txt", 2, hashlib.sha256(b"hi").hexdigest()),
    ]
    assert (tmp_path / "sub" / "b.txt").read_bytes() == b"hi"


def test_links_are_skipped_not_followed(tmp_path):
    collected = extract_outputs(archive([("output/l", "/etc/passwd", "link")]), tmp_path, max_bytes=100)
    assert collected.files == [] and collected.skipped == ["l"]
    assert not (tmp_path / "l").exists()


def test_path_escape_is_refused(tmp_path):
    with pytest.raises(ValueError, match="unsafe path"):
        extract_outputs(archive([("output/../evil", b"x", "file")]), tmp_path / "d", max_bytes=100)
    assert not (tmp_path / "evil").exists()


def test_total_size_is_capped(tmp_path):
    with pytest.raises(TooLarge):
        extract_outputs(
            archive([("output/a", b"x" * 600, "file"), ("output/b", b"y" * 600, "file")]), tmp_path, 1000
        )


def test_empty_output_dir_archive_is_world_writable_with_sticky_bit():
    with tarfile.open(fileobj=io.BytesIO(empty_output_dir_archive())) as tar:
        output = tar.getmember("bgtasks/output")
    assert output.isdir() and output.mode == 0o1777

from bgtasks.execution.runner import split_lines


def test_lines_split_across_chunks_are_joined_and_last_partial_line_kept():
    chunks = [b"first li", b"ne\nsecond\r\nthi", b"rd \xff", b"\nno newline"]
    assert list(split_lines(iter(chunks))) == ["first line", "second", "third \ufffd", "no newline"]

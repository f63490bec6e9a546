import pytest

from bgtasks.cli.parsing import parse_command, parse_duration_seconds, parse_env, parse_memory_mib
from bgtasks.errors import InvalidInput


def test_env_pairs_keep_equals_signs_in_values():
    assert parse_env(("A=1", "URL=a=b", "EMPTY=")) == {"A": "1", "URL": "a=b", "EMPTY": ""}


def test_env_word_without_equals_is_refused_naming_env():
    with pytest.raises(InvalidInput) as raised:
        parse_env(("A",))
    assert raised.value.field == "env"


def test_command_is_split_like_a_shell():
    assert parse_command("python run.py --name 'two words'") == ["python", "run.py", "--name", "two words"]
    with pytest.raises(InvalidInput):
        parse_command("echo 'unclosed")


@pytest.mark.parametrize(("text", "mib"), [("512", 512), ("512Mi", 512), ("2Gi", 2048), ("1.5G", 1536)])
def test_memory_sizes(text, mib):
    assert parse_memory_mib(text) == mib


@pytest.mark.parametrize(("text", "seconds"), [("90", 90), ("30s", 30), ("10m", 600), ("2h", 7200)])
def test_durations(text, seconds):
    assert parse_duration_seconds(text) == seconds


def test_bad_units_are_refused():
    with pytest.raises(InvalidInput):
        parse_memory_mib("12 parsecs")
    with pytest.raises(InvalidInput):
        parse_duration_seconds("soon")

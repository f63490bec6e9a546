"""Turning command-line words into the values the services take. Pure."""

from __future__ import annotations

import shlex

from bgtasks.errors import InvalidInput


def parse_env(pairs: tuple[str, ...], field: str = "env") -> dict[str, str]:
    """``("A=1", "B=x=y")`` -> ``{"A": "1", "B": "x=y"}``; a word without '=' is refused."""
    env: dict[str, str] = {}
    for pair in pairs:
        name, separator, value = pair.partition("=")
        if not separator:
            raise InvalidInput(f"{pair!r} is not NAME=VALUE", field=field)
        env[name] = value
    return env


def parse_command(text: str | None) -> list[str] | None:
    """A shell-quoted command line -> its words (``None`` stays ``None``)."""
    if text is None:
        return None
    try:
        return shlex.split(text)
    except ValueError as exc:
        raise InvalidInput(f"cannot split the command: {exc}", field="command") from exc


_MEMORY_UNITS = {"": 1, "m": 1, "mi": 1, "mib": 1, "mb": 1, "g": 1024, "gi": 1024, "gib": 1024, "gb": 1024}
_DURATION_UNITS = {"": 1, "s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}


def _split_number(text: str) -> tuple[float, str]:
    text = text.strip().lower()
    index = len(text)
    while index and not (text[index - 1].isdigit() or text[index - 1] == "."):
        index -= 1
    number, unit = text[:index], text[index:].strip()
    return float(number), unit


def parse_memory_mib(text: str) -> int:
    """``"512"``, ``"512Mi"``, ``"2G"`` -> MiB."""
    try:
        number, unit = _split_number(text)
        return int(number * _MEMORY_UNITS[unit])
    except (ValueError, KeyError) as exc:
        raise InvalidInput(
            f"{text!r} is not a memory size: use MiB, or a unit (512Mi, 2Gi)", field="memory"
        ) from exc


def parse_duration_seconds(text: str) -> int:
    """``"90"``, ``"30s"``, ``"10m"``, ``"2h"`` -> seconds."""
    try:
        number, unit = _split_number(text)
        return int(number * _DURATION_UNITS[unit])
    except (ValueError, KeyError) as exc:
        raise InvalidInput(
            f"{text!r} is not a duration: use seconds, or 30s, 10m, 2h", field="time_limit"
        ) from exc

"""Pure validators shared by the registry models. Each raises ValueError with a user-facing reason."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

NAME_PATTERN = re.compile(r"^[a-z0-9]([a-z0-9_-]{0,61}[a-z0-9])?$")
ENV_NAME_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
USER_PATTERN = re.compile(r"^([0-9]{1,10}|[a-z_][a-z0-9_-]{0,31})(:([0-9]{1,10}|[a-z_][a-z0-9_-]{0,31}))?$")
# Variables bgtasks sets in every container; a task may not shadow them.
RESERVED_ENV_PREFIX = "BGTASKS_"
MAX_ENV_VALUE_BYTES = 32 * 1024


def check_name(value: str) -> str:
    if not NAME_PATTERN.match(value):
        raise ValueError(
            f"{value!r} is not a valid name: use 1-63 lowercase letters, digits, '-' or '_', "
            "starting and ending with a letter or digit"
        )
    return value


def check_env(env: dict[str, str]) -> dict[str, str]:
    for name, value in env.items():
        if not ENV_NAME_PATTERN.match(name):
            raise ValueError(
                f"{name!r} is not a valid environment variable name: use letters, digits and '_', "
                "not starting with a digit"
            )
        if name.upper().startswith(RESERVED_ENV_PREFIX):
            raise ValueError(
                f"{name!r} is reserved: names starting with {RESERVED_ENV_PREFIX} are set by bgtasks"
            )
        if not isinstance(value, str):
            raise ValueError(f"the value of {name!r} must be a string")
        if "\x00" in value:
            raise ValueError(f"the value of {name!r} contains a NUL character")
        if len(value.encode()) > MAX_ENV_VALUE_BYTES:
            raise ValueError(f"the value of {name!r} is longer than {MAX_ENV_VALUE_BYTES} bytes")
    return env


def check_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"{value!r} is not a known IANA time zone (for example 'UTC' or 'Europe/Berlin')"
        ) from exc
    return value


def check_user(value: str | None) -> str | None:
    if value is not None and not USER_PATTERN.match(value):
        raise ValueError(f"{value!r} is not a user: use 'uid', 'uid:gid' or a user name")
    return value

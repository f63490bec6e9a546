"""The identity header the server hands to dagster-webserver, and through it to the run coordinator.

The server's authentication middleware removes any such header a client sends, authenticates the
request, then adds its own: the user name, a timestamp and an HMAC over both with the installation's
secret key. The run coordinator (``SubmitRunContext.get_request_header``) accepts a launch from the
web UI only with a header that verifies, so even a header slipping past the middleware is useless
without the key.
"""

from __future__ import annotations

import time

from bgtasks.secret import sign, verify

IDENTITY_HEADER = "x-bgtasks-identity"
MAX_AGE_SECONDS = 600  # a GraphQL request that launches runs finishes well within this


def make_header(user_name: str, now: float | None = None) -> str:
    issued = str(int(now if now is not None else time.time()))
    return f"{user_name}|{issued}|{sign('identity-header', user_name, issued)}"


def read_header(value: str, now: float | None = None) -> str | None:
    """The user name in a header made by :func:`make_header`, or None when forged or stale."""
    try:
        user_name, issued, signature = value.split("|")
        age = (now if now is not None else time.time()) - int(issued)
    except ValueError:
        return None
    if not -5 <= age <= MAX_AGE_SECONDS:  # a few seconds of clock skew between threads' reads
        return None
    if not verify(signature, "identity-header", user_name, issued):
        return None
    return user_name

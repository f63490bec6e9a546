"""The installation's secret key: signs run identities and the server's internal identity header.

``BGTASKS_SECRET_KEY`` wins; otherwise a random key is kept in ``$DAGSTER_HOME/.bgtasks-secret``
(mode 0600), made atomically by whichever process needs it first.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import threading
from pathlib import Path

from bgtasks.settings import Settings, get_settings

SECRET_FILE = ".bgtasks-secret"
_cache: dict[str, bytes] = {}
_lock = threading.Lock()


def secret_key(settings: Settings | None = None) -> bytes:
    settings = settings or get_settings()
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value().encode()
    path = settings.home / SECRET_FILE
    with _lock:
        key = _cache.get(str(path))
        if key is None:
            key = _read_or_create(path)
            _cache[str(path)] = key
        return key


def _read_or_create(path: Path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        scratch = path.with_name(f"{path.name}.{secrets.token_hex(8)}.tmp")
        fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
        try:
            os.link(scratch, path)  # never replaces a key another process just made
        except FileExistsError:
            pass
        finally:
            os.unlink(scratch)
    return path.read_text().strip().encode()


def sign(*parts: str, settings: Settings | None = None) -> str:
    """HMAC-SHA256 of the parts (NUL-separated), hex."""
    message = "\0".join(parts).encode()
    return hmac.new(secret_key(settings), message, hashlib.sha256).hexdigest()


def verify(signature: str, *parts: str, settings: Settings | None = None) -> bool:
    return hmac.compare_digest(signature.encode(), sign(*parts, settings=settings).encode())


def forget_secret() -> None:
    """Tests: read the key again next time (another DAGSTER_HOME)."""
    with _lock:
        _cache.clear()

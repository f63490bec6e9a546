"""Talking to the warm run worker: one JSON line each way over its Unix socket."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any


class WorkerUnavailable(Exception):
    """No warm worker answers at the socket."""


def ask_worker(socket_path: Path, message: dict[str, Any], timeout: float = 10.0) -> dict[str, Any]:
    """Send ``message``; return the worker's answer. Raises WorkerUnavailable when nobody listens."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.settimeout(timeout)
            connection.connect(str(socket_path))
            connection.sendall(json.dumps(message).encode() + b"\n")
            answer = b""
            while not answer.endswith(b"\n"):
                chunk = connection.recv(65536)
                if not chunk:
                    break
                answer += chunk
    except (FileNotFoundError, ConnectionRefusedError) as exc:
        raise WorkerUnavailable(f"no warm run worker listens at {socket_path}") from exc
    if not answer:
        raise WorkerUnavailable(f"the warm run worker at {socket_path} closed the connection")
    return json.loads(answer)

"""The identity a run carries: who launched it and how, signed with the installation's secret key.

The signature covers the run id, so identity tags copied onto another run (by hand, or inherited by
a re-execution) do not verify. Only processes holding the key (server, daemon, bgtasks CLI) can
sign; the run coordinator verifies before it lets a run start.
"""

from __future__ import annotations

import getpass
from collections.abc import Mapping
from dataclasses import dataclass

from bgtasks.orchestration.tags import LAUNCHED_BY_TAG, LAUNCHED_VIA_TAG, PARTITION_TAG, SIGNATURE_TAG
from bgtasks.secret import sign, verify

LOCAL_PREFIX = "local:"
SYSTEM_NAME = "system:bgtasks"


@dataclass(frozen=True)
class LaunchIdentity:
    name: str
    via: str


def local_identity() -> LaunchIdentity:
    """The operator's own shell on the server: whoever can run the bgtasks CLI against this instance."""
    return LaunchIdentity(f"{LOCAL_PREFIX}{getpass.getuser()}", "cli")


def _parts(run_id: str, job_name: str, partition: str | None, identity: LaunchIdentity) -> tuple[str, ...]:
    return ("run-identity", run_id, job_name, partition or "", identity.name, identity.via)


def identity_tags(
    run_id: str, job_name: str, partition: str | None, identity: LaunchIdentity
) -> dict[str, str]:
    return {
        LAUNCHED_BY_TAG: identity.name,
        LAUNCHED_VIA_TAG: identity.via,
        SIGNATURE_TAG: sign(*_parts(run_id, job_name, partition, identity)),
    }


def signed_identity(run_id: str, job_name: str, tags: Mapping[str, str]) -> LaunchIdentity | None:
    """The identity in ``tags`` when its signature holds for this run, else None."""
    name, via, signature = tags.get(LAUNCHED_BY_TAG), tags.get(LAUNCHED_VIA_TAG), tags.get(SIGNATURE_TAG)
    if not (name and via and signature):
        return None
    identity = LaunchIdentity(name, via)
    if not verify(signature, *_parts(run_id, job_name, tags.get(PARTITION_TAG), identity)):
        return None
    return identity

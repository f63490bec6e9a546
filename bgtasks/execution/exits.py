"""Why a container stopped, in words a user understands. Pure."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ExitFacts:
    exit_code: int | None
    oom_killed: bool
    timed_out: bool
    terminated: bool
    memory_mib: int
    time_limit_seconds: int


def explain_exit(facts: ExitFacts, last_lines: list[str]) -> str | None:
    """None when the run succeeded, else one message naming the cause, with the last log lines."""
    if facts.timed_out:
        reason = f"killed: time limit {facts.time_limit_seconds} s reached"
    elif facts.oom_killed:
        reason = f"killed: exceeded memory limit {facts.memory_mib} MiB"
    elif facts.terminated:
        reason = "terminated on request"
    elif facts.exit_code == 0:
        return None
    else:
        reason = f"exited with code {facts.exit_code}"
    if last_lines:
        tail = "\n".join(f"  {line}" for line in last_lines)
        return f"{reason}\nlast log lines:\n{tail}"
    return reason

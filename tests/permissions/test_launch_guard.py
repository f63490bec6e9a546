"""The launch guard on a real instance: each way a run can carry (or lack) an identity.

``admit`` is called directly, as the run coordinator calls it, so no container starts here; the
permission matrix over HTTP (tests/server/) runs the real paths end to end.
"""

from __future__ import annotations

import pytest
from dagster._core.run_coordinator import SubmitRunContext

import bgtasks.permissions.launch_guard as guard
from bgtasks.errors import PermissionDenied, Unauthenticated
from bgtasks.orchestration.launch import LOCATION_NAME, create_job_run, in_process_workspace
from bgtasks.orchestration.run_identity import LaunchIdentity, identity_tags
from bgtasks.orchestration.tags import JOB_NAME, LAUNCHED_BY_TAG, LAUNCHED_VIA_TAG, PARTITION_TAG
from bgtasks.permissions.internal_header import make_header, read_header


@pytest.fixture
def setup(services, instance):
    services.images.register("bgtasks/busybox:1.35")
    services.users.create("olga", roles=["TASK_EDITOR"])
    services.users.create("vic")
    services.tasks.create({"name": "hello", "image": "bgtasks/busybox:1.35"}, owner="olga")
    with in_process_workspace(instance) as workspace:
        yield services, instance, workspace


def make_run(instance, workspace, identity=None, **tags):
    return create_job_run(
        instance, workspace, LOCATION_NAME, JOB_NAME, {}, {PARTITION_TAG: "hello", **tags}, identity=identity
    )


def admit(instance, workspace, run):
    return instance.run_coordinator.admit(SubmitRunContext(run, workspace))


def test_signed_identity_of_an_active_user_is_admitted_and_audited(setup):
    services, instance, workspace = setup
    run = make_run(instance, workspace, LaunchIdentity("vic", "api"))
    assert admit(instance, workspace, run) == {}  # already signed: nothing to add
    entry = services.audit.list(limit=1)[0]
    assert (entry.actor, entry.action, entry.target, entry.outcome, entry.via) == (
        "vic",
        "task.run",
        "task:hello",
        "ok",
        "api",
    )
    assert entry.detail == {"run_id": run.run_id}


def test_the_local_operator_is_admitted(setup):
    _, instance, workspace = setup
    run = make_run(instance, workspace, LaunchIdentity("local:ops", "cli"))
    assert admit(instance, workspace, run) == {}


def test_a_disabled_user_is_refused(setup):
    services, instance, workspace = setup
    services.users.update("vic", active=False)
    run = make_run(instance, workspace, LaunchIdentity("vic", "api"))
    with pytest.raises(Unauthenticated, match="'vic' is not an active bgtasks user"):
        admit(instance, workspace, run)


def test_a_run_without_identity_is_refused_with_what_to_do(setup, monkeypatch):
    _, instance, workspace = setup
    monkeypatch.delenv("BGTASKS_TOKEN", raising=False)
    run = make_run(instance, workspace)
    with pytest.raises(Unauthenticated, match=r"carries no identity.*BGTASKS_TOKEN"):
        admit(instance, workspace, run)


def test_identity_tags_copied_from_another_run_do_not_verify(setup, monkeypatch):
    _, instance, workspace = setup
    monkeypatch.delenv("BGTASKS_TOKEN", raising=False)
    original = make_run(instance, workspace, LaunchIdentity("local:ops", "cli"))
    copied = {
        key: original.tags[key] for key in identity_tags("x", JOB_NAME, "hello", LaunchIdentity("a", "b"))
    }
    forged = make_run(instance, workspace, **copied)
    with pytest.raises(Unauthenticated, match="no identity"):
        admit(instance, workspace, forged)


def test_a_shell_launch_with_a_token_runs_as_its_user(setup, monkeypatch):
    services, instance, workspace = setup
    token, record = services.tokens.create("vic", "shell")
    monkeypatch.setenv("BGTASKS_TOKEN", token)
    run = make_run(instance, workspace)
    tags = admit(instance, workspace, run)
    assert tags[LAUNCHED_BY_TAG] == "vic" and tags[LAUNCHED_VIA_TAG] == "shell"
    services.tokens.revoke("vic", record.id)
    with pytest.raises(Unauthenticated, match="not a valid API token"):
        admit(instance, workspace, make_run(instance, workspace))


@pytest.mark.parametrize(
    "tag",
    [
        {"dagster/sensor_name": "task_schedules"},
        {"dagster/schedule_name": "x"},
        {"bgtasks/trigger": "schedule"},
    ],
)
def test_a_shell_launch_may_not_pose_as_a_scheduled_run(setup, monkeypatch, tag):
    services, instance, workspace = setup
    monkeypatch.setenv("BGTASKS_TOKEN", services.tokens.create("vic", "shell")[0])
    run = make_run(instance, workspace, **tag)
    with pytest.raises(PermissionDenied, match="set by bgtasks or Dagster itself"):
        admit(instance, workspace, run)


def test_the_daemon_runs_a_task_as_its_owner(setup, monkeypatch):
    services, instance, workspace = setup
    monkeypatch.setattr(guard, "_daemon_process", True)
    run = make_run(instance, workspace, **{"dagster/sensor_name": "task_schedules"})
    tags = admit(instance, workspace, run)
    assert (tags[LAUNCHED_BY_TAG], tags[LAUNCHED_VIA_TAG]) == ("olga", "sensor")
    services.users.update("olga", active=False)
    with pytest.raises(Unauthenticated, match="the task's owner 'olga' is not an active bgtasks user"):
        admit(instance, workspace, make_run(instance, workspace, **{"dagster/sensor_name": "task_schedules"}))


def test_only_the_daemon_process_gets_the_owner_identity(setup, monkeypatch):
    _, instance, workspace = setup
    monkeypatch.delenv("BGTASKS_TOKEN", raising=False)
    run = make_run(instance, workspace, **{"dagster/sensor_name": "task_schedules"})
    with pytest.raises(Unauthenticated):
        admit(instance, workspace, run)


def test_identity_headers_verify_only_when_signed_and_fresh(dagster_home):
    header = make_header("vic", now=1000.0)
    assert read_header(header, now=1001.0) == "vic"
    assert read_header(header, now=1000.0 + 3600) is None
    assert read_header(header.replace("vic", "olga"), now=1001.0) is None
    assert read_header("vic", now=1001.0) is None
    assert read_header("vic|1000|" + "0" * 64, now=1001.0) is None

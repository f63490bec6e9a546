"""Templates, images and tasks through the services, on SQLite and on real PostgreSQL.

Every refused request is checked to change nothing.
"""

from __future__ import annotations

import pytest

from bgtasks.errors import Conflict, EngineUnavailable, InvalidInput, NotFound

TINY = {"name": "tiny", "cpus": 0.25, "memory_mib": 64, "max_processes": 16, "time_limit_seconds": 30}


def make_task(registry, name="sync", **fields):
    registry.images.register("img:1")
    return registry.tasks.create({"name": name, "image": "img:1", **fields}, owner="ana")


def test_shipped_templates_exist(registry):
    assert [t.name for t in registry.templates.list()] == ["large", "medium", "small"]


def test_template_update_bumps_revision_and_keeps_other_fields(registry):
    registry.templates.create(TINY)
    updated = registry.templates.update("tiny", {"memory_mib": 128})
    assert (updated.memory_mib, updated.cpus, updated.revision) == (128, 0.25, 2)


def test_duplicate_template_is_a_conflict(registry):
    registry.templates.create(TINY)
    with pytest.raises(Conflict) as raised:
        registry.templates.create({**TINY, "cpus": 1})
    assert raised.value.field == "name"
    assert registry.templates.get("tiny").cpus == 0.25


def test_deleting_a_template_in_use_is_refused_naming_the_tasks(registry):
    registry.templates.create(TINY)
    make_task(registry, "alpha", template="tiny")
    make_task(registry, "beta", template="tiny")
    with pytest.raises(Conflict) as raised:
        registry.templates.delete("tiny")
    assert "used by 2 task(s): alpha, beta" in raised.value.message
    assert registry.templates.get("tiny").name == "tiny"
    registry.tasks.update("alpha", {"template": "small"})
    registry.tasks.update("beta", {"template": "small"})
    registry.templates.delete("tiny")
    with pytest.raises(NotFound):
        registry.templates.get("tiny")


def test_invalid_template_update_changes_nothing(registry):
    registry.templates.create(TINY)
    with pytest.raises(InvalidInput) as raised:
        registry.templates.update("tiny", {"memory_mib": 1})
    assert raised.value.field == "memory_mib"
    assert registry.templates.get("tiny").revision == 1


def test_task_pins_the_image_digest_and_keeps_it_when_the_tag_moves(registry):
    task = make_task(registry)
    assert task.image_digest == "sha256:" + "1" * 64
    registry.docker.images["img:1"] = registry.docker.images["img:2"]  # re-tagged in the engine
    registry.images.register("img:1")
    assert registry.tasks.update("sync", {"description": "same image"}).image_digest == "sha256:" + "1" * 64
    assert registry.tasks.update("sync", {}, repin_image=True).image_digest == "sha256:" + "2" * 64


def test_create_refuses_unknown_template_missing_image_and_duplicates(registry):
    registry.images.register("img:1")
    with pytest.raises(InvalidInput) as raised:
        registry.tasks.create({"name": "t", "image": "img:1", "template": "huge"}, owner="ana")
    assert raised.value.field == "template"
    with pytest.raises(InvalidInput) as raised:
        registry.tasks.create({"name": "t", "image": "img:9"}, owner="ana")
    assert raised.value.field == "image" and "not registered" in raised.value.message
    make_task(registry, "t")
    with pytest.raises(Conflict) as raised:
        registry.tasks.create({"name": "t", "image": "img:1"}, owner="bob")
    assert raised.value.field == "name"
    assert [t.name for t in registry.tasks.list()] == ["t"]
    assert registry.tasks.get("t").owner == "ana"


def test_update_bumps_revision_and_refuses_rename_and_unknown_fields(registry):
    make_task(registry, env={"A": "1"})
    updated = registry.tasks.update("sync", {"env": {"A": "2"}})
    assert (updated.revision, updated.env) == (2, {"A": "2"})
    with pytest.raises(InvalidInput) as raised:
        registry.tasks.update("sync", {"name": "other"})
    assert raised.value.field == "name"
    with pytest.raises(InvalidInput) as raised:
        registry.tasks.update("sync", {"colour": "red"})
    assert raised.value.field == "colour"
    with pytest.raises(InvalidInput):
        registry.tasks.update("sync", {"schedule": "not cron"})
    assert registry.tasks.get("sync").revision == 2


def test_schedule_sets_next_run_in_the_time_zone_and_disable_clears_it(registry):
    task = make_task(registry, schedule="0 6 * * *", timezone="Europe/Berlin")
    assert task.next_run_at is not None and task.next_run_at > registry.now
    assert registry.tasks.update("sync", {"enabled": False}).next_run_at is None
    assert registry.tasks.update("sync", {"enabled": True}).next_run_at == task.next_run_at


def test_due_and_advance(registry):
    task = make_task(registry, schedule="*/5 * * * *")
    assert registry.tasks.due(task.next_run_at - 1) == []
    assert [t.name for t in registry.tasks.due(task.next_run_at)] == ["sync"]
    assert registry.tasks.advance("sync", task.next_run_at, task.next_run_at + 300) is True
    assert registry.tasks.advance("sync", task.next_run_at, task.next_run_at + 300) is False  # already moved
    assert registry.tasks.due(task.next_run_at + 1) == []


def test_run_after_triggers_and_refuses_loops_and_unknown_tasks(registry):
    make_task(registry, "extract")
    make_task(registry, "load", run_after="extract")
    assert [t.name for t in registry.tasks.triggered_by("extract")] == ["load"]
    with pytest.raises(InvalidInput) as raised:
        registry.tasks.update("extract", {"run_after": "load"})
    assert raised.value.field == "run_after" and "loop" in raised.value.message
    with pytest.raises(InvalidInput):
        registry.tasks.update("load", {"run_after": "nope"})
    with pytest.raises(Conflict) as raised:
        registry.tasks.delete("extract")
    assert "load" in raised.value.message


def test_delete_tells_the_listener_and_a_failing_listener_undoes_a_create(registry):
    make_task(registry, "a")
    registry.tasks.delete("a")
    assert registry.listener.events == [("created", "a"), ("deleted", "a")]
    registry.listener.fail = True
    with pytest.raises(EngineUnavailable):
        registry.tasks.create({"name": "b", "image": "img:1"}, owner="ana")
    with pytest.raises(NotFound):
        registry.tasks.get("b")


def test_images_in_use_cannot_be_deleted(registry):
    make_task(registry)
    with pytest.raises(Conflict):
        registry.images.delete("img:1")
    registry.tasks.delete("sync")
    registry.images.delete("img:1")
    assert registry.images.list() == []


def test_registering_an_image_the_engine_lacks_is_not_found(registry):
    with pytest.raises(NotFound) as raised:
        registry.images.register("nope:1")
    assert raised.value.field == "image"
    assert registry.images.list() == []


def test_upload_refuses_a_malformed_archive_and_keeps_nothing(registry, tmp_path):
    with pytest.raises(InvalidInput) as raised:
        registry.images.upload([b"this is not a tar archive" * 100], max_bytes=10_000)
    assert raised.value.field == "archive"
    assert list((tmp_path / "uploads").iterdir()) == []
    assert registry.images.list() == []


def test_upload_over_the_limit_is_refused(registry, tmp_path):
    from bgtasks.errors import TooLarge

    with pytest.raises(TooLarge):
        registry.images.upload([b"x" * 600, b"x" * 600], max_bytes=1000)
    assert list((tmp_path / "uploads").iterdir()) == []

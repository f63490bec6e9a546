from __future__ import annotations

import json
import subprocess
import sys

import dagster as dg

from prebuilt_assets.catalog_tasks import PREBUILT_TASKS


def test_definitions_load_and_validate():
    from prebuilt_assets.definitions import defs

    dg.Definitions.validate_loadable(defs)
    keys = {k.to_user_string() for k in defs.resolve_all_asset_keys()}
    assert keys == {
        "prebuilt/fdic_institutions",
        "prebuilt/fdic_locations",
        "prebuilt/ecb_mfi",
        "prebuilt/nccs_501c3_pz",
    }


def test_every_prebuilt_task_has_its_job_and_a_stopped_schedule():
    from prebuilt_assets.definitions import defs

    assert [t.name for t in PREBUILT_TASKS] == [
        "prebuilt.fdic_institutions",
        "prebuilt.fdic_locations",
        "prebuilt.ecb_mfi",
        "prebuilt.nccs_501c3_pz",
    ]
    for task in PREBUILT_TASKS:
        job = defs.resolve_job_def(task.job_name)
        assert job.tags["bgtasks/task"] == task.name
        assert dg.AssetKey(list(task.asset_key)) in job.asset_layer.asset_graph.get_all_asset_keys()
        schedule = defs.resolve_schedule_def(task.schedule_name)
        assert schedule.job_name == task.job_name
        assert schedule.cron_schedule == task.cron and schedule.execution_timezone == task.timezone
        assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED
        assert task.format == "parquet" and task.source == task.name.removeprefix("prebuilt.")


def test_prebuilt_tasks_import_nothing_heavy():
    code = (
        "import json, sys; import prebuilt_assets.catalog_tasks as t; "
        "print(json.dumps([len(t.PREBUILT_TASKS), sorted(m for m in ('dagster', 'pyarrow', 'requests') if m in sys.modules)]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == [4, []]

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
        "prebuilt/iapd_sec_advisers",
        "prebuilt/iapd_state_advisers",
        "prebuilt/iapd_representatives",
        "prebuilt/cftc_fcm_financials",
    }


def test_every_prebuilt_task_has_its_job_and_a_stopped_schedule():
    from prebuilt_assets.definitions import defs

    assert [t.name for t in PREBUILT_TASKS] == [
        "prebuilt.fdic_institutions",
        "prebuilt.fdic_locations",
        "prebuilt.ecb_mfi",
        "prebuilt.nccs_501c3_pz",
        "prebuilt.iapd_sec_advisers",
        "prebuilt.iapd_state_advisers",
        "prebuilt.iapd_representatives",
        "prebuilt.cftc_fcm_financials",
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
    assert json.loads(out.stdout) == [8, []]


def test_iapd_tasks_publish_a_nested_jsonl_source_beside_the_flat_one():
    from prebuilt_assets.definitions import defs

    nested = {t.source: t.nested_source for t in PREBUILT_TASKS if t.nested_source}
    assert nested == {
        "iapd_sec_advisers": "iapd_sec_advisers_nested",
        "iapd_state_advisers": "iapd_state_advisers_nested",
        "iapd_representatives": "iapd_representatives_nested",
    }
    checks = {
        key.name
        for key in defs.resolve_asset_graph().asset_check_keys
        if key.asset_key == dg.AssetKey(["prebuilt", "iapd_representatives"])
    }
    assert checks == {"has_rows", "key_unique", "row_count_change", "nested_matches_flat"}


def test_iapd_runs_each_business_day_and_cftc_monthly():
    by_source = {t.source: t for t in PREBUILT_TASKS}
    for source in ("iapd_sec_advisers", "iapd_state_advisers", "iapd_representatives"):
        assert by_source[source].cron.endswith("* * 1-5")
    _minute, _hour, day, month, weekday = by_source["cftc_fcm_financials"].cron.split()
    assert day.isdigit() and (month, weekday) == ("*", "*")


def test_the_iapd_and_cftc_parsers_import_no_dagster():
    code = (
        "import sys; import prebuilt_assets.sources.iapd.write, prebuilt_assets.sources.cftc.parse; "
        "print('dagster' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"

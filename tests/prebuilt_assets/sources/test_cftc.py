"""The CFTC FCM asset against the recorded index page and workbooks served over HTTP on loopback."""

from __future__ import annotations

import io
from datetime import date

import dagster as dg
import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bgtasks.catalog import Catalog
from prebuilt_assets.sources.cftc.assets import cftc_fcm_financials
from prebuilt_assets.sources.cftc.checks import CHECKS
from prebuilt_assets.sources.cftc.resources import CftcResource
from tests.prebuilt_assets.conftest import (
    CFTC_INDEX,
    CFTC_WORKBOOKS,
    base_resources,
    check_results,
    failure_message,
    materialization,
)
from tests.prebuilt_assets.server import FIXTURES, Fault

SEPTEMBER = next(path for path, name in CFTC_WORKBOOKS.items() if "September" in name)


def run(server, catalog_root, instance):
    resources = {**base_resources(catalog_root), "cftc": CftcResource(base_url=server.url)}
    return dg.materialize(
        [cftc_fcm_financials, *CHECKS], resources=resources, instance=instance, raise_on_error=False
    )


def firms(catalog_root: str) -> dict[str, dict]:
    table = pq.read_table(Catalog(catalog_root).list_files("cftc_fcm_financials")[0].location)
    return {row["firm_name"]: row for row in table.to_pylist()}


def september_edited(edit) -> bytes:
    """The September workbook changed by ``edit(worksheet)``, as bytes."""
    workbook = openpyxl.load_workbook(FIXTURES / "cftc" / CFTC_WORKBOOKS[SEPTEMBER])
    edit(workbook.active)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_publishes_the_newest_month_linked_from_the_index(server, catalog_root, instance):
    result = run(server, catalog_root, instance)
    assert result.success, failure_message(result)
    meta = materialization(result)
    assert meta["rows"] == meta["dagster/row_count"] == 31 and meta["status"] == "published"
    assert check_results(result) == {
        "has_rows": (True, "ERROR"),
        "key_unique": (True, "ERROR"),
        "row_count_change": (True, "WARN"),
    }
    assert len(server.requests_to(SEPTEMBER)) == 1, "the workbook URL is the one the index page links"

    manifest = Catalog(catalog_root).get_version("cftc_fcm_financials")
    assert manifest.extra["report_month"] == "2026-09-30"
    assert [u.url for u in manifest.upstream] == [server.url + CFTC_INDEX, server.url + SEPTEMBER]
    table = pq.read_table(Catalog(catalog_root).list_files("cftc_fcm_financials")[0].location)
    types = dict(zip(table.schema.names, table.schema.types, strict=True))
    assert (types["report_month"], types["as_of_date"], types["adjusted_net_capital"]) == (
        pa.date32(),
        pa.date32(),
        pa.int64(),
    )

    rows = firms(catalog_root)
    assert "LAKESHORE FUTURES CLEARING LLC" in rows and "HARBORVIEW FX LLC" not in rows
    assert not any(name.startswith(("Totals", "Additions", "Deletions")) for name in rows)
    abn = rows["ABN AMRO CLEARING USA LLC"]
    assert (abn["report_month"], abn["as_of_date"], abn["registered_as"], abn["dsro"]) == (
        date(2026, 9, 30),
        date(2026, 9, 30),
        "FCM/BD",
        "CME",
    )
    assert (abn["adjusted_net_capital"], abn["net_capital_requirement"], abn["excess_net_capital"]) == (
        914023371,
        307391117,
        606632254,
    )
    assert abn["retail_forex_obligation"] == 0, "a reported zero stays 0"
    ig = rows["IG US LLC"]
    assert (ig["is_rfed"], ig["is_fcm"]) == (True, False)
    assert ig["customer_seg_assets"] is None and ig["cleared_swap_seg_funds"] is None, "blank stays null"
    assert rows["GUS III LLC"]["as_of_date"] < date(2026, 9, 30), "a late filer keeps its own as-of date"


def test_an_unchanged_workbook_makes_no_new_version(server, catalog_root, instance):
    assert run(server, catalog_root, instance).success
    again = run(server, catalog_root, instance)
    assert again.success and materialization(again)["status"] == "unchanged"
    assert len(Catalog(catalog_root).list_versions("cftc_fcm_financials")) == 1


def test_a_blank_leading_row_and_an_inserted_column_are_tolerated(server, catalog_root, instance):
    def edit(sheet):
        sheet.insert_rows(1)
        sheet.insert_cols(3)
        sheet["C2"] = "NFA\nID"
        for row in range(5, 36):
            sheet.cell(row=row, column=3, value=f"0{row:06d}")

    server.replace_body(SEPTEMBER, september_edited(edit))
    result = run(server, catalog_root, instance)
    assert result.success, failure_message(result)
    meta = materialization(result)
    assert meta["rows"] == 31 and meta["unknown_columns"] == ["NFA ID"]
    abn = firms(catalog_root)["ABN AMRO CLEARING USA LLC"]
    assert abn["adjusted_net_capital"] == 914023371 and abn["source_row"] == 5
    assert abn["extra_fields"] == [("NFA ID", "0000005")]


@pytest.mark.parametrize(
    ("body", "fault", "problem"),
    [
        (
            september_edited(lambda sheet: sheet.cell(row=1, column=6, value="Adjusted Capital")),
            None,
            "required column 'Adjusted Net Capital' not found in header row 1",
        ),
        (None, Fault.html(), "an HTML page was served where xlsx data was expected"),
    ],
)
def test_a_bad_workbook_fails_and_keeps_the_previous_version(
    server, catalog_root, instance, body, fault, problem
):
    assert run(server, catalog_root, instance).success
    before = Catalog(catalog_root).get_version("cftc_fcm_financials").version
    if body is not None:
        server.replace_body(SEPTEMBER, body)
    if fault is not None:
        server.fail(SEPTEMBER, fault)

    message = failure_message(run(server, catalog_root, instance))

    assert "cftc_fcm_financials: " in message and problem in message, message
    assert Catalog(catalog_root).get_version("cftc_fcm_financials").version == before
    assert len(Catalog(catalog_root).list_versions("cftc_fcm_financials")) == 1

"""Reading the recorded FCM workbooks by header label, and each way a workbook can be bad."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from prebuilt_assets.errors import SourceFormatError
from prebuilt_assets.sources.cftc.parse import read_fcm_workbook, write_fcm_parquet
from prebuilt_assets.sources.cftc.schema import FCM_SCHEMA, normalise_label

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures/prebuilt/cftc"
SEPTEMBER = FIXTURES / "01 - FCM Webpage Update - September 2026.xlsx"
AUGUST = FIXTURES / "01 - FCM Webpage Update - August 2026.xlsx"
MONTH = date(2026, 9, 30)


def firms(report) -> dict[str, dict]:
    return {row["firm_name"]: row for row in report.rows}


def edited(tmp_path: Path, edit) -> Path:
    """A copy of the September workbook changed by ``edit(worksheet)``."""
    workbook = openpyxl.load_workbook(SEPTEMBER)
    edit(workbook.active)
    path = tmp_path / SEPTEMBER.name
    workbook.save(path)
    return path


def test_september_has_31_firms_up_to_the_totals_block() -> None:
    report = read_fcm_workbook(SEPTEMBER, MONTH)

    assert len(report.rows) == 31
    assert (report.sheet, report.header_row) == ("FCM Data", 1)
    assert report.skipped_rows == (2,)  # the lettered (A)..(T) row under the header
    assert report.extra_columns == () and report.missing_optional_columns == ()
    names = firms(report)
    assert "LAKESHORE FUTURES CLEARING LLC" in names
    assert "HARBORVIEW FX LLC" not in names
    assert not any(name.startswith(("Totals", "Additions", "Deletions")) for name in names)


def test_august_has_the_firm_september_dropped() -> None:
    names = firms(read_fcm_workbook(AUGUST, date(2026, 8, 31)))

    assert len(names) == 31
    assert names["HARBORVIEW FX LLC"]["registered_as"] == "RFED"
    assert "LAKESHORE FUTURES CLEARING LLC" not in names


def test_published_capital_figures_and_types() -> None:
    abn = firms(read_fcm_workbook(SEPTEMBER, MONTH))["ABN AMRO CLEARING USA LLC"]

    assert abn["report_month"] == MONTH
    assert abn["source_row"] == 4
    assert (abn["registered_as"], abn["is_fcm"], abn["is_rfed"], abn["dsro"]) == (
        "FCM/BD",
        True,
        False,
        "CME",
    )
    assert abn["as_of_date"] == date(2026, 9, 30)
    assert (abn["adjusted_net_capital"], abn["net_capital_requirement"], abn["excess_net_capital"]) == (
        914023371,
        307391117,
        606632254,
    )
    assert abn["customer_seg_assets"] == 5940068657
    assert abn["part30_target_residual_interest"] == 6227556
    assert abn["retail_forex_obligation"] == 0
    assert abn["extra_fields"] == {}


def test_blank_stays_null_and_zero_stays_zero() -> None:
    names = firms(read_fcm_workbook(SEPTEMBER, MONTH))

    ig = names["IG US LLC"]
    assert (ig["is_fcm"], ig["is_rfed"]) == (False, True)
    assert ig["customer_seg_assets"] is None
    assert ig["cleared_swap_seg_target_residual_interest"] is None
    assert ig["retail_forex_obligation"] == 124915250
    amp = names["AMP GLOBAL CLEARING LLC"]
    assert amp["part30_secured_funds"] == 0
    assert amp["cleared_swap_seg_funds"] == 0


def test_late_filer_keeps_its_own_as_of_date_and_dual_registrants_are_both() -> None:
    names = firms(read_fcm_workbook(SEPTEMBER, MONTH))

    assert names["GUS III LLC"]["as_of_date"] == date(2026, 8, 31)
    assert names["GUS III LLC"]["report_month"] == MONTH
    gain = names["GAIN CAPITAL GROUP LLC"]
    assert (gain["registered_as"], gain["is_fcm"], gain["is_rfed"]) == ("FCMRFD", True, True)


def test_parquet_has_the_declared_types(tmp_path: Path) -> None:
    report = read_fcm_workbook(SEPTEMBER, MONTH)

    assert write_fcm_parquet(report, tmp_path / "fcm.parquet") == 31
    table = pq.read_table(tmp_path / "fcm.parquet")
    assert table.schema.equals(FCM_SCHEMA)
    assert table.schema.field("adjusted_net_capital").type == pa.int64()
    assert table.schema.field("as_of_date").type == pa.date32()
    ig = table.filter(pc.equal(table["firm_name"], "IG US LLC")).to_pylist()[0]
    assert ig["customer_seg_assets"] is None and ig["retail_forex_obligation"] == 124915250


def test_extra_blank_leading_row_is_tolerated(tmp_path: Path) -> None:
    path = edited(tmp_path, lambda sheet: sheet.insert_rows(1))

    report = read_fcm_workbook(path, MONTH)

    assert report.header_row == 2
    assert len(report.rows) == 31
    assert firms(report)["ABN AMRO CLEARING USA LLC"]["source_row"] == 5


def test_inserted_column_is_tolerated_kept_and_reported(tmp_path: Path) -> None:
    def insert_notes(sheet) -> None:
        sheet.insert_cols(5)
        sheet["E1"] = "Notes\n(internal)"
        sheet["E4"] = "restated"

    report = read_fcm_workbook(edited(tmp_path, insert_notes), MONTH)

    assert report.extra_columns == ("Notes (internal)",)
    abn = firms(report)["ABN AMRO CLEARING USA LLC"]
    assert abn["as_of_date"] == date(2026, 9, 30)
    assert abn["adjusted_net_capital"] == 914023371
    assert abn["extra_fields"] == {"Notes (internal)": "restated"}
    assert firms(report)["ADM INVESTOR SERVICES INC"]["extra_fields"] == {}


def test_renamed_required_column_fails_naming_it(tmp_path: Path) -> None:
    def rename(sheet) -> None:
        sheet["F1"] = "Adj. Net Capital"

    with pytest.raises(SourceFormatError) as caught:
        read_fcm_workbook(edited(tmp_path, rename), MONTH, "https://www.cftc.gov/x.xlsx")

    assert "required column 'Adjusted Net Capital' not found in header row 1" in str(caught.value)
    assert "'Adj. Net Capital'" in str(caught.value)
    assert caught.value.location == "https://www.cftc.gov/x.xlsx"


def test_missing_optional_column_is_null_and_reported(tmp_path: Path) -> None:
    report = read_fcm_workbook(edited(tmp_path, lambda sheet: sheet.delete_cols(20)), MONTH)

    assert report.missing_optional_columns == ("Target Residual Interest in Cleared Swap Seg",)
    abn = firms(report)["ABN AMRO CLEARING USA LLC"]
    assert abn["cleared_swap_seg_target_residual_interest"] is None
    assert abn["retail_forex_obligation"] == 0


def test_html_page_served_as_the_workbook_fails_clearly(tmp_path: Path) -> None:
    path = tmp_path / SEPTEMBER.name
    path.write_bytes(b"<!DOCTYPE html><html><head><title>Page not found | CFTC</title></head><body/></html>")

    with pytest.raises(SourceFormatError) as caught:
        read_fcm_workbook(path, MONTH)

    assert str(caught.value) == (
        "cftc_fcm_financials: got an HTML page titled 'Page not found | CFTC' instead of the .xlsx "
        f"workbook [{SEPTEMBER.name}]"
    )


def test_legacy_xls_fails_clearly(tmp_path: Path) -> None:
    path = tmp_path / "fcmdata0813.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))

    with pytest.raises(SourceFormatError, match=r"legacy \.xls workbook"):
        read_fcm_workbook(path, MONTH)


def test_truncated_workbook_fails_clearly(tmp_path: Path) -> None:
    path = tmp_path / SEPTEMBER.name
    path.write_bytes(SEPTEMBER.read_bytes()[:4000])

    with pytest.raises(SourceFormatError, match=r"not a readable \.xlsx workbook"):
        read_fcm_workbook(path, MONTH)


def test_text_in_an_amount_cell_fails_naming_the_cell(tmp_path: Path) -> None:
    def corrupt(sheet) -> None:
        sheet["G5"] = "n/a"

    with pytest.raises(
        SourceFormatError, match=r"cell G5 \(Net Capital Requirement\): 'n/a' is not an amount"
    ):
        read_fcm_workbook(edited(tmp_path, corrupt), MONTH)


def test_date_serials_text_amounts_and_curly_apostrophes_are_read(tmp_path: Path) -> None:
    def vary(sheet) -> None:
        sheet["I1"] = "Customers\u2019 Assets\nin Seg"
        sheet["E4"] = 46295  # 2026-09-30 as an unformatted Excel serial
        sheet["F4"] = "914,023,371"
        sheet["G4"] = 307391117.0000001

    abn = firms(read_fcm_workbook(edited(tmp_path, vary), MONTH))["ABN AMRO CLEARING USA LLC"]

    assert abn["as_of_date"] == date(2026, 9, 30)
    assert abn["adjusted_net_capital"] == 914023371
    assert abn["net_capital_requirement"] == 307391117
    assert abn["customer_seg_assets"] == 5940068657


def test_workbook_without_a_header_fails_clearly(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    workbook.active.append(["SELECTED FCM FINANCIAL DATA AS OF", datetime(2026, 9, 30)])
    path = tmp_path / "no-header.xlsx"
    workbook.save(path)

    with pytest.raises(SourceFormatError, match="no header row with 'Registered As'"):
        read_fcm_workbook(path, MONTH)


def test_labels_are_compared_without_line_breaks_case_or_apostrophes() -> None:
    assert normalise_label("Customers\u2019 Seg\nRequired  4d(a)(2)") == normalise_label(
        "CUSTOMERS' SEG REQUIRED 4D(A)(2)"
    )
    assert normalise_label(None) == ""

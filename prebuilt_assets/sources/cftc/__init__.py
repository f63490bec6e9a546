"""CFTC Financial Data for FCMs: the monthly table of FCM and RFED capital and customer funds.

Pure functions for the asset layer, no HTTP:

- ``discover.discover_latest_report(index_html_bytes)`` -> ``FcmReportLink`` (workbook URL, month).
- ``parse.read_fcm_workbook(downloaded_path, report_month)`` -> ``FcmReport``;
  ``parse.write_fcm_parquet(report, parquet_path)`` -> row count.
"""

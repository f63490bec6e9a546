"""Example Background Task: read the bundled daily sales CSV, total it per store and product,
and write the result as Parquet to the platform's output directory.

Environment: INPUT_CSV (default: the bundled file), OUTPUT_NAME (file name without .parquet),
BGTASKS_OUTPUT_DIR (default /bgtasks/output, which the platform creates and makes writable).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pv
import pyarrow.parquet as pq

BUNDLED_CSV = "/usr/local/share/bgtasks/daily_sales.csv"
SCHEMA = {"date": pa.date32(), "store": pa.string(), "product": pa.string(), "units": pa.int64(),
          "revenue": pa.decimal128(12, 2)}


def log(message: str) -> None:
    print(f"csv-to-parquet: {message}", flush=True)


def read_sales(path: Path) -> pa.Table:
    """The sales CSV with typed columns; a malformed row fails the task with the row's line."""
    return pv.read_csv(path, convert_options=pv.ConvertOptions(column_types=SCHEMA))


def totals_per_store_and_product(sales: pa.Table) -> pa.Table:
    """One row per (store, product): days sold, units, revenue and the average price paid."""
    grouped = sales.group_by(["store", "product"]).aggregate(
        [("date", "count"), ("date", "min"), ("date", "max"), ("units", "sum"), ("revenue", "sum")]
    )
    grouped = grouped.rename_columns(
        ["store", "product", "days", "first_day", "last_day", "units", "revenue"]
    )
    avg_price = pc.divide(pc.cast(grouped["revenue"], pa.float64()), pc.cast(grouped["units"], pa.float64()))
    grouped = grouped.append_column("average_unit_price", pc.round(avg_price, 2))
    return grouped.sort_by([("store", "ascending"), ("product", "ascending")])


def main() -> int:
    input_csv = Path(os.environ.get("INPUT_CSV") or BUNDLED_CSV)
    output_dir = Path(os.environ.get("BGTASKS_OUTPUT_DIR") or "/bgtasks/output")
    output_name = os.environ.get("OUTPUT_NAME") or "sales_by_store_and_product"
    if not output_dir.is_dir() or not os.access(output_dir, os.W_OK):
        log(f"{output_dir} is missing or not writable")
        return 1

    log(f"pyarrow {pa.__version__}, reading {input_csv}")
    sales = read_sales(input_csv)
    log(f"read {sales.num_rows} rows, {sales.num_columns} columns")

    totals = totals_per_store_and_product(sales)
    log(f"aggregated to {totals.num_rows} rows (store x product)")

    output = output_dir / f"{output_name}.parquet"
    pq.write_table(totals, output, compression="zstd")
    written = pq.read_metadata(output).num_rows
    log(f"wrote {written} rows to {output} ({output.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

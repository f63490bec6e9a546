"""Parse throughput of the prebuilt file parsers against bare pyarrow, measured in the same run.

Generates scaled inputs in the real formats (an NCCS-shaped 247-column CSV and an ECB-shaped
UTF-16LE TSV, built from the recorded fixtures), then times, each in its own process:

- ours: ``parse_core`` / ``parse_mfi`` (encoding detection, declared types, trimming, streaming
  Parquet writer) writing to a local file;
- bare: ``pyarrow.csv.read_csv`` + ``pyarrow.parquet.write_table`` of the same file (pyarrow
  defaults; for the ECB file the options needed to read it at all: TAB, no quoting, UTF-16).

Peak memory is the child's ``ru_maxrss`` (from ``os.wait4``), so each figure is one process's peak.
Targets: ours at most 1.3x bare time; ours' peak at 10x input within 20% of its peak at 1x.

    .venv/bin/python benchmarks/parse_throughput.py [--scale 1 10] [--repeat 3] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import iapd_throughput  # the IAPD case, in its own module

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "prebuilt"
BASE_ROWS = {"nccs": 500_000, "ecb": 100_000}


# -- inputs ----------------------------------------------------------------------------------------


def make_nccs(path: Path, rows: int) -> None:
    """An NCCS-shaped CSV: the fixture's 247 columns and row shapes, unique EINs, ``\\n`` line ends."""
    with open(FIXTURES / "nccs" / "CORE-2022-501C3-CHARITIES-PZ-HRMN.csv", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        samples = list(reader)
    ein2, ein = header.index("EIN2"), header.index("F9_00_ORG_EIN")
    block_rows = 10_000
    with open(path, "w", newline="", encoding="utf-8") as out:
        out.write(",".join(header) + "\n")
        written = 0
        while written < rows:
            buf = io.StringIO()
            writer = csv.writer(buf, lineterminator="\n")
            for i in range(min(block_rows, rows - written)):
                row = list(samples[(written + i) % len(samples)])
                number = 100_000_000 + written + i
                row[ein], row[ein2] = (
                    f"{number:09d}",
                    f"EIN-{number // 10_000_000:02d}-{number % 10_000_000:07d}",
                )
                writer.writerow(row)
            out.write(buf.getvalue())
            written += min(block_rows, rows - written)


def make_ecb(path: Path, rows: int) -> None:
    """An ECB-shaped list: UTF-16LE with BOM, TAB, CRLF, no quoting; fixture rows with unique RIAD codes."""
    text = (FIXTURES / "ecb" / "mfi_csv_261202.csv").read_bytes().decode("utf-16")
    lines = text.split("\r\n")
    header, samples = lines[0], [line.split("\t") for line in lines[1:] if line]
    with open(path, "wb") as out:
        out.write(b"\xff\xfe" + (header + "\r\n").encode("utf-16-le"))
        written = 0
        while written < rows:
            chunk = []
            for i in range(min(20_000, rows - written)):
                fields = list(samples[(written + i) % len(samples)])
                fields[0] = f"{fields[0]}-{written + i}"
                chunk.append("\t".join(fields) + "\r\n")
            out.write("".join(chunk).encode("utf-16-le"))
            written += len(chunk)


# -- one measured case (runs in a child process) -----------------------------------------------------


def run_case(mode: str, kind: str, src: Path, dst: Path) -> dict[str, float]:
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    # Imports happen before the clock starts for both sides: we time parsing and writing only.
    from prebuilt_assets.sources.ecb.parse import parse_mfi
    from prebuilt_assets.sources.nccs.parse import parse_core

    start = time.perf_counter()
    if mode == "ours" and kind == "nccs":
        rows = parse_core(src, str(dst), url=str(src)).rows
    elif mode == "ours":
        rows = parse_mfi(src, str(dst), gzip=False, url=str(src)).rows
    elif kind == "nccs":
        table = pcsv.read_csv(src)
        pq.write_table(table, dst)
        rows = table.num_rows
    else:
        table = pcsv.read_csv(
            src,
            read_options=pcsv.ReadOptions(encoding="utf-16"),
            parse_options=pcsv.ParseOptions(delimiter="\t", quote_char=False),
        )
        pq.write_table(table, dst)
        rows = table.num_rows
    return {"seconds": time.perf_counter() - start, "rows": rows, "out_bytes": dst.stat().st_size}


def measure(mode: str, kind: str, src: Path, dst: Path) -> dict[str, float]:
    """Run one case in a fresh process; return its timing and its own peak RSS in MB."""
    proc = subprocess.Popen(
        [sys.executable, __file__, "--child", mode, kind, str(src), str(dst)],
        stdout=subprocess.PIPE,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.stdout is not None
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    proc.stdout.close()
    if proc.returncode != 0:
        raise SystemExit(f"{mode} {kind} failed with exit code {proc.returncode}")
    result = json.loads(output)
    result["peak_mb"] = usage.ru_maxrss / 1024  # Linux: KiB
    return result


# -- driver ------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=int, nargs="+", default=[1, 10])
    parser.add_argument("--repeat", type=int, default=3, help="runs per case at 1x (median); 1 run above 1x")
    parser.add_argument("--kinds", nargs="+", default=["nccs", "ecb"])
    iapd_throughput.add_arguments(parser)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--skip-bare-above", type=int, default=100, help="skip bare pyarrow above this scale")
    args = parser.parse_args()
    iapd_throughput.run_selected(args)

    work = Path(tempfile.mkdtemp(prefix="bgtasks-bench-", dir=args.workdir))
    results: list[dict] = []
    try:
        for kind in args.kinds:
            for scale in args.scale:
                rows = BASE_ROWS[kind] * scale
                src = work / (f"{kind}_{scale}x" + (".csv" if kind == "nccs" else ".tsv"))
                t0 = time.perf_counter()
                (make_nccs if kind == "nccs" else make_ecb)(src, rows)
                size_mb = src.stat().st_size / 1e6
                print(
                    f"generated {src.name}: {rows:,} rows, {size_mb:,.0f} MB in {time.perf_counter() - t0:.0f} s",
                    flush=True,
                )
                repeat = args.repeat if scale == 1 else 1
                row = {"kind": kind, "scale": scale, "rows": rows, "input_mb": size_mb}
                for mode in ("ours", "bare"):
                    if mode == "bare" and scale > args.skip_bare_above:
                        continue
                    runs = [
                        measure(mode, kind, src, work / f"{kind}_{scale}x_{mode}.parquet")
                        for _ in range(repeat)
                    ]
                    assert all(r["rows"] == rows for r in runs), (mode, kind, runs)
                    row[f"{mode}_s"] = statistics.median(r["seconds"] for r in runs)
                    row[f"{mode}_peak_mb"] = max(r["peak_mb"] for r in runs)
                    row[f"{mode}_out_mb"] = runs[0]["out_bytes"] / 1e6
                    print(
                        f"  {mode}: {row[f'{mode}_s']:.2f} s, peak {row[f'{mode}_peak_mb']:.0f} MB",
                        flush=True,
                    )
                results.append(row)
                src.unlink()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report(results)


def report(results: list[dict]) -> None:
    print()
    print(
        f"{'input':<10}{'rows':>11}{'MB in':>8}{'ours s':>9}{'bare s':>9}{'ratio':>7}{'ours peak MB':>14}{'bare peak MB':>14}"
    )
    for r in results:
        bare = r.get("bare_s")
        ratio = f"{r['ours_s'] / bare:.2f}" if bare else "-"
        print(
            f"{r['kind'] + ' ' + str(r['scale']) + 'x':<10}{r['rows']:>11,}{r['input_mb']:>8.0f}{r['ours_s']:>9.2f}"
            f"{bare if bare is not None else float('nan'):>9.2f}{ratio:>7}{r['ours_peak_mb']:>14.0f}"
            f"{r.get('bare_peak_mb', float('nan')):>14.0f}"
        )
    print()
    for kind in sorted({r["kind"] for r in results}):
        by_scale = {r["scale"]: r for r in results if r["kind"] == kind}
        for r in by_scale.values():
            if r.get("bare_s"):
                verdict = "meets" if r["ours_s"] / r["bare_s"] <= 1.3 else "MISSES"
                print(
                    f"{kind} {r['scale']}x time: ours/bare = {r['ours_s'] / r['bare_s']:.2f} ({verdict} the 1.3x target)"
                )
        if 1 in by_scale and 10 in by_scale:
            growth = by_scale[10]["ours_peak_mb"] / by_scale[1]["ours_peak_mb"]
            verdict = "meets" if growth <= 1.2 else "MISSES"
            print(f"{kind} memory: ours peak at 10x / at 1x = {growth:.2f} ({verdict} the 1.2x target)")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        mode, kind, src, dst = sys.argv[2:6]
        print(json.dumps(run_case(mode, kind, Path(src), Path(dst))))
    else:
        main()

"""Parse throughput of the prebuilt file parsers against bare pyarrow, measured in the same run.

Generates scaled inputs in the real formats (an NCCS-shaped 247-column CSV and an ECB-shaped
UTF-16LE TSV, built from the recorded fixtures), then times, each run in a fresh process:

- ours: ``parse_core`` / ``parse_mfi`` (encoding detection, declared types, trimming, streaming
  Parquet writer) writing to a local file;
- bare: ``pyarrow.csv.read_csv`` + ``pyarrow.parquet.write_table`` of the same file (pyarrow
  defaults; for the ECB file the options needed to read it at all: TAB, no quoting, UTF-16).

A child times its own parse and write (wall and CPU seconds; interpreter start and imports are
outside the clock). Its peak memory is its own ``ru_maxrss`` from ``os.wait4`` (imports included; the
peak of a child that only imports is printed for reference). Ours and bare alternate ``--repeat``
times and medians are compared, because other processes share the machine.

Targets: ours at most 1.3x bare wall time; ours' peak at 10x input within 20% of its peak at 1x.

    .venv/bin/python benchmarks/parse_throughput.py [--scale 1 10] [--repeat 3] [--kinds nccs ecb]
    .venv/bin/python benchmarks/parse_throughput.py --check      # exit status 1 when a target is missed
    .venv/bin/python benchmarks/parse_throughput.py --quick      # CI-size smoke run, about 30 s

``--quick`` uses 1/50 of the rows. Such inputs are smaller than the parser's fixed buffers (2 MB
text blocks, row groups of 64Ki rows or 64 MiB) and its fixed costs are a large part of their time,
so the targets are not judged there: the run checks that every case works and agrees on row counts.
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
QUICK_DIVISOR = 50  # --quick: 10,000 NCCS rows and 2,000 ECB rows at 1x
MODES = ("ours", "bare")
# Bare pyarrow holds the whole table: its peak was 6.6x the NCCS file and 4.6x the ECB file.
BARE_PEAK_PER_INPUT_BYTE = 7
TARGET_RATIO = 1.3
TARGET_GROWTH = 1.2


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


def input_file(directory: Path, kind: str, rows: int) -> Path:
    """The generated input for ``kind`` with ``rows`` rows, made unless ``directory`` already has it."""
    path = directory / (f"{kind}_{rows}" + (".csv" if kind == "nccs" else ".tsv"))
    if not path.exists():
        started = time.perf_counter()
        partial = path.with_suffix(".partial")
        (make_nccs if kind == "nccs" else make_ecb)(partial, rows)
        partial.rename(path)
        print(f"generated {path.name} in {time.perf_counter() - started:.0f} s", flush=True)
    return path


# -- one measured run (in a child process) -----------------------------------------------------------


def run_case(mode: str, kind: str, src: Path, dst: Path) -> dict[str, float]:
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    from prebuilt_assets.sources.ecb.parse import parse_mfi
    from prebuilt_assets.sources.nccs.parse import parse_core

    if mode == "imports":
        return {"seconds": 0.0, "cpu_seconds": 0.0, "rows": 0, "out_bytes": 0}
    # The clock starts after the imports, for both sides: we time parsing and writing only.
    wall, cpu = time.perf_counter(), time.process_time()
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
    return {
        "seconds": time.perf_counter() - wall,
        "cpu_seconds": time.process_time() - cpu,
        "rows": rows,
        "out_bytes": dst.stat().st_size if dst.exists() else 0,
    }


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
    # wait4 gives this child's own rusage (RUSAGE_CHILDREN would be the maximum over all children).
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
    parser.add_argument("--repeat", type=int, default=3, help="interleaved runs per case (median)")
    parser.add_argument("--kinds", nargs="+", default=["nccs", "ecb"], choices=[*sorted(BASE_ROWS), "iapd"])
    iapd_throughput.add_arguments(parser)
    parser.add_argument(
        "--quick", action="store_true", help=f"CI-size inputs: 1/{QUICK_DIVISOR} of the rows at each scale"
    )
    parser.add_argument("--check", action="store_true", help="exit with status 1 when a target is missed")
    parser.add_argument("--workdir", type=Path, default=None, help="where the outputs go (a temp dir inside)")
    parser.add_argument(
        "--inputs", type=Path, default=None, help="keep generated inputs here and reuse them in later runs"
    )
    parser.add_argument("--skip-bare-above", type=int, default=100, help="skip bare pyarrow above this scale")
    args = parser.parse_args()
    iapd_throughput.run_selected(args)
    if not args.kinds:
        return
    divisor = QUICK_DIVISOR if args.quick else 1

    work = Path(tempfile.mkdtemp(prefix="bgtasks-bench-", dir=args.workdir))
    inputs = args.inputs or work
    inputs.mkdir(parents=True, exist_ok=True)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {args.repeat} interleaved runs per case")
    results: list[dict] = []
    try:
        for kind in args.kinds:
            for scale in args.scale:
                rows = BASE_ROWS[kind] * scale // divisor
                src = input_file(inputs, kind, rows)
                row = {"kind": kind, "scale": scale, "rows": rows, "input_mb": src.stat().st_size / 1e6}
                modes = [m for m in MODES if m == "ours" or bare_fits(scale, src, args.skip_bare_above)]
                runs: dict[str, list[dict]] = {m: [] for m in modes}
                for _ in range(args.repeat):
                    for mode in modes:
                        dst = work / f"{kind}_{scale}x_{mode}.parquet"
                        runs[mode].append(measure(mode, kind, src, dst))
                        dst.unlink(missing_ok=True)
                for mode, mode_runs in runs.items():
                    assert all(r["rows"] == rows for r in mode_runs), (mode, kind, mode_runs)
                    summarise(row, mode, mode_runs)
                results.append(row)
                if args.inputs is None:
                    src.unlink()
        imports_mb = measure("imports", args.kinds[0], work / "none", work / "none.parquet")["peak_mb"]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    missed = report(results, imports_mb, judged=not args.quick)
    if args.check and missed:
        raise SystemExit(1)


def bare_fits(scale: int, src: Path, skip_above: int) -> bool:
    """Whether to run bare pyarrow on ``src``: not above ``--skip-bare-above``, and not when it would
    likely need more memory than the machine has available (the OOM killer picks any process)."""
    if scale > skip_above:
        return False
    needed = src.stat().st_size * BARE_PEAK_PER_INPUT_BYTE
    available = available_memory()
    if available is not None and needed > 0.9 * available:
        print(
            f"skipping bare on {src.name}: it would need ~{needed / 1e9:.1f} GB, {available / 1e9:.1f} GB available"
        )
        return False
    return True


def available_memory() -> int | None:
    """MemAvailable from /proc/meminfo in bytes; None where there is no such file."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def summarise(row: dict, mode: str, runs: list[dict]) -> None:
    """Medians of one mode's runs into ``row``, and a line with every run's figures."""
    row[f"{mode}_s"] = statistics.median(r["seconds"] for r in runs)
    row[f"{mode}_cpu_s"] = statistics.median(r["cpu_seconds"] for r in runs)
    row[f"{mode}_peak_mb"] = statistics.median(r["peak_mb"] for r in runs)
    row[f"{mode}_out_mb"] = runs[0]["out_bytes"] / 1e6
    walls = " ".join(f"{r['seconds']:.2f}" for r in runs)
    peaks = " ".join(f"{r['peak_mb']:.0f}" for r in runs)
    print(
        f"{row['kind']} {row['scale']}x {mode}: wall {row[f'{mode}_s']:.2f} s ({walls}), "
        f"cpu {row[f'{mode}_cpu_s']:.2f} s, peak {row[f'{mode}_peak_mb']:.0f} MB ({peaks}), "
        f"output {row[f'{mode}_out_mb']:.1f} MB",
        flush=True,
    )


def report(results: list[dict], imports_mb: float, judged: bool = True) -> bool:
    """Print the table and the verdicts; True when a judged target was missed."""
    print()
    print(
        f"{'input':<10}{'rows':>11}{'MB in':>8}{'ours s':>9}{'bare s':>9}{'ratio':>7}"
        f"{'ours cpu s':>12}{'bare cpu s':>12}{'ours peak MB':>14}{'bare peak MB':>14}"
    )
    nan = float("nan")
    for r in results:
        bare = r.get("bare_s")
        ratio = f"{r['ours_s'] / bare:.2f}" if bare else "-"
        print(
            f"{r['kind'] + ' ' + str(r['scale']) + 'x':<10}{r['rows']:>11,}{r['input_mb']:>8.0f}"
            f"{r['ours_s']:>9.2f}{bare if bare is not None else nan:>9.2f}{ratio:>7}"
            f"{r['ours_cpu_s']:>12.2f}{r.get('bare_cpu_s', nan):>12.2f}"
            f"{r['ours_peak_mb']:>14.0f}{r.get('bare_peak_mb', nan):>14.0f}"
        )
    print(f"(peaks are medians over the runs; a child that only imports peaks at {imports_mb:.0f} MB)")
    print()
    missed = False
    for kind in sorted({r["kind"] for r in results}):
        by_scale = {r["scale"]: r for r in results if r["kind"] == kind}
        for r in by_scale.values():
            if r.get("bare_s"):
                ratio = r["ours_s"] / r["bare_s"]
                missed |= ratio > TARGET_RATIO
                verdict = ("meets" if ratio <= TARGET_RATIO else "MISSES") if judged else "not judged against"
                print(
                    f"{kind} {r['scale']}x time: ours/bare = {ratio:.2f} ({verdict} the {TARGET_RATIO}x target)"
                )
        if 1 in by_scale and 10 in by_scale:
            growth = by_scale[10]["ours_peak_mb"] / by_scale[1]["ours_peak_mb"]
            missed |= growth > TARGET_GROWTH
            verdict = ("meets" if growth <= TARGET_GROWTH else "MISSES") if judged else "not judged against"
            print(
                f"{kind} memory: ours peak at 10x / at 1x = {growth:.2f} ({verdict} the {TARGET_GROWTH}x target)"
            )
    if not judged:
        print("(--quick: inputs below the parser's fixed buffers and costs; targets not judged)")
        return False
    return missed


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        mode, kind, src, dst = sys.argv[2:6]
        print(json.dumps(run_case(mode, kind, Path(src), Path(dst))))
    else:
        main()

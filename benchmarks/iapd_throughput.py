"""IAPD case of benchmarks/parse_throughput.py: our representatives parser against a bare lxml
iterparse loop, same file, same run. ``parse_throughput.py`` imports this module and calls
``add_arguments(parser)`` (the IAPD options, and "iapd" among the default ``--kinds``) and
``run_selected(args)`` (runs this case first when selected and takes it out of ``--kinds``).

A representatives-shaped feed is generated from the recorded fixture's individuals (new CRD numbers,
same elements and attributes), split into zip members like the real ``IA_INDVL_Feed_*.xml.zip`` and
scaled to at least ``--size-mb`` MB of XML. Each case then runs in a fresh subprocess:

- ``bare``: ``lxml.etree.iterparse(tag="Indvl")`` over each member, clearing each element and deleting
  its previous siblings; nothing else. The floor any lxml-based streaming parser stands on.
- ``parse``: our ``write_feed`` with no outputs: a nested dict per individual and the typed flat
  columns of each batch (``flat.to_batch``); nothing serialised, nothing written.
- ``parse+write``: our ``write_feed``: the same, plus the JSONL (orjson) and the zstd Parquet written.
- ``parse-py``: ``parse`` with the pure-Python fallback instead of the compiled record parser
  (``_records.c``), for comparison; not judged.

A child times its own parse (wall and CPU seconds, interpreter start and imports excluded); its peak
RSS comes from ``os.wait4``, i.e. that child's ``ru_maxrss`` alone (imports included). Cases are
interleaved ``--repeat`` times and medians compared, because other processes share the machine.

Target (issue "Prebuilt public-data tasks II"): parse at most 1.3x the bare loop, peak memory < 200 MB.
The verdict is on CPU seconds, which the other processes of a shared machine disturb less than wall time.

    .venv/bin/python benchmarks/parse_throughput.py --kinds iapd [--iapd-size-mb 200] [--iapd-repeat 3]
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from lxml import etree

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO / "tests/fixtures/prebuilt/iapd/IA_INDVL_Feed_12_02_2026.xml.zip"
CASES = ("bare", "parse", "parse+write", "parse-py")
TARGET_RATIO = 1.3
TARGET_PEAK_MB = 200
_HEAD = b'<?xml version="1.0" encoding="ISO-8859-1"?>\n<IAPDIndividualReport GenOn="2026-12-02">\n<Indvls>\n'
_TAIL = b"</Indvls>\n</IAPDIndividualReport>\n"


def run_iapd_case(size_mb: int = 200, members: int = 4, repeat: int = 3, workdir: Path | None = None) -> None:
    """Generate the scaled feed, run every case ``repeat`` times, print the figures and the ratios."""
    with tempfile.TemporaryDirectory(prefix="bench-iapd-", dir=workdir) as tmp:
        feed = Path(tmp) / "IA_INDVL_Feed_12_02_2026.xml.zip"
        xml_bytes, individuals = generate_feed(feed, size_mb * 2**20, members)
        print(
            f"iapd representatives: {members} members, {xml_bytes / 2**20:.1f} MB XML "
            f"({feed.stat().st_size / 2**20:.1f} MB zip), {individuals:,} individuals; "
            f"{repeat} interleaved runs per case, python {sys.version.split()[0]}, lxml {etree.__version__}"
        )
        runs: dict[str, list[dict[str, float]]] = {case: [] for case in CASES}
        for _ in range(repeat):
            for case in CASES:
                result = _run_child(case, feed, Path(tmp))
                if result["records"] != individuals:
                    raise SystemExit(f"{case} read {result['records']} individuals, expected {individuals}")
                runs[case].append(result)
        imports_peak = _run_child("imports", feed, Path(tmp))["peak_mb"]
        _print_table(runs, xml_bytes, imports_peak)


def generate_feed(path: Path, min_xml_bytes: int, members: int) -> tuple[int, int]:
    """Write a zip of ``members`` XML documents totalling at least ``min_xml_bytes``; return (bytes, records)."""
    templates = _fixture_individuals()
    per_member = -(-min_xml_bytes // members)
    total, crd = 0, 10_000_000
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for number in range(1, members + 1):
            with archive.open(f"IA_Indvl_Feeds{number}.xml", "w", force_zip64=True) as out:
                written = out.write(_HEAD)
                while written < per_member:
                    template = templates[crd % len(templates)]
                    info = template.find("Info")
                    info.set("indvlPK", str(crd))
                    info.set("link", f"https://adviserinfo.sec.gov/individual/summary/{crd}")
                    written += out.write(
                        etree.tostring(template, encoding="ISO-8859-1", xml_declaration=False)
                    )
                    written += out.write(b"\n")
                    crd += 1
                written += out.write(_TAIL)
            total += written
    return total, crd - 10_000_000


def _fixture_individuals() -> list[etree._Element]:
    individuals = []
    with zipfile.ZipFile(FIXTURE) as archive:
        for name in sorted(archive.namelist()):
            root = etree.fromstring(archive.read(name))
            individuals.extend(root.iter("Indvl"))
    for individual in individuals:
        individual.tail = None
    return individuals


def _run_child(case: str, feed: Path, tmp: Path) -> dict[str, float]:
    command = [sys.executable, __file__, "--child", case, str(feed), str(tmp)]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, cwd=REPO)
    assert child.stdout is not None
    output = child.stdout.read()
    # wait4 reports this child's own rusage; RUSAGE_CHILDREN would be the max over all children so far.
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"benchmark case {case} failed with exit code {child.returncode}")
    result = json.loads(output)
    result["peak_mb"] = usage.ru_maxrss / 1024  # Linux reports KiB
    return result


def _child(case: str, feed: Path, tmp: Path) -> None:
    """Run one case in this fresh process and print its figures as JSON."""
    if case == "imports":
        importlib.import_module("prebuilt_assets.sources.iapd.write")
        print(json.dumps({"records": 0, "wall": 0.0, "cpu": 0.0}))
        return
    run = {
        "bare": _bare_loop,
        "parse": _our_parse,
        "parse+write": _our_parse_and_write,
        "parse-py": _our_parse,
    }[case]
    if case != "bare":
        # Import pyarrow and our modules before the clock starts: the cases time parsing only.
        importlib.import_module("prebuilt_assets.sources.iapd.write")
        parse = importlib.import_module("prebuilt_assets.sources.iapd.parse")
        if parse._records is None:
            raise SystemExit("the compiled record parser is not built: run scripts/build_native.sh")
        if case == "parse-py":
            parse._records = None
            parse._DocumentParser.fallback_logged = True  # chosen here: no warning
    wall, cpu = time.perf_counter(), time.process_time()
    records = run(feed, tmp)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(json.dumps({"records": records, "wall": wall, "cpu": cpu}))


def _bare_loop(feed: Path, tmp: Path) -> int:
    records = 0
    with zipfile.ZipFile(feed) as archive:
        for name in archive.namelist():
            with archive.open(name) as stream:
                for _, element in etree.iterparse(stream, events=("end",), tag="Indvl"):
                    records += 1
                    element.clear()
                    while element.getprevious() is not None:
                        del element.getparent()[0]
    return records


def _our_parse(feed: Path, tmp: Path) -> int:
    from prebuilt_assets.sources.iapd.settings import REPRESENTATIVES
    from prebuilt_assets.sources.iapd.write import write_feed

    return write_feed(REPRESENTATIVES, feed, None, None).records


def _our_parse_and_write(feed: Path, tmp: Path) -> int:
    from prebuilt_assets.sources.iapd.settings import REPRESENTATIVES
    from prebuilt_assets.sources.iapd.write import write_feed

    outputs = write_feed(REPRESENTATIVES, feed, tmp / "out.jsonl", tmp / "out.parquet")
    return outputs.records


def _print_table(runs: dict[str, list[dict[str, float]]], xml_bytes: int, imports_peak: float) -> None:
    bare_wall = statistics.median(r["wall"] for r in runs["bare"])
    bare_cpu = statistics.median(r["cpu"] for r in runs["bare"])
    print(
        f"{'case':<12} {'wall s med (min)':>18} {'cpu s med (min)':>17} {'MB/s':>6} {'peak MB':>8} "
        f"{'x bare wall':>11} {'x bare cpu':>10}"
    )
    for case, results in runs.items():
        wall = statistics.median(r["wall"] for r in results)
        cpu = statistics.median(r["cpu"] for r in results)
        peak = max(r["peak_mb"] for r in results)
        print(
            f"{case:<12} {wall:>10.2f} ({min(r['wall'] for r in results):5.2f}) "
            f"{cpu:>9.2f} ({min(r['cpu'] for r in results):5.2f}) {xml_bytes / 2**20 / wall:>6.1f} "
            f"{peak:>8.1f} {wall / bare_wall:>11.2f} {cpu / bare_cpu:>10.2f}"
        )
    print(f"peak of a child that only imports our parser: {imports_peak:.1f} MB")
    for case in ("parse", "parse+write"):
        ratio = statistics.median(r["cpu"] for r in runs[case]) / bare_cpu
        peak = max(r["peak_mb"] for r in runs[case])
        verdict = "met" if ratio <= TARGET_RATIO and peak < TARGET_PEAK_MB else "MISSED"
        print(
            f"target {case}: <= {TARGET_RATIO}x bare cpu and < {TARGET_PEAK_MB} MB peak: "
            f"{verdict} ({ratio:.2f}x, {peak:.0f} MB)"
        )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The IAPD options, and "iapd" among the default ``--kinds`` (call after ``--kinds`` is defined)."""
    parser.set_defaults(kinds=[*parser.get_default("kinds"), "iapd"])
    parser.add_argument("--iapd-size-mb", type=int, default=200, help="IAPD: minimum XML size to generate")
    parser.add_argument("--iapd-members", type=int, default=4, help="IAPD: zip members to split the XML into")
    parser.add_argument("--iapd-repeat", type=int, default=3, help="IAPD: interleaved runs per case")


def run_selected(args: argparse.Namespace) -> None:
    """Run the IAPD case when "iapd" is among ``args.kinds``, and take it out of the list."""
    if "iapd" in args.kinds:
        args.kinds = [kind for kind in args.kinds if kind != "iapd"]
        run_iapd_case(
            size_mb=args.iapd_size_mb,
            members=args.iapd_members,
            repeat=args.iapd_repeat,
            workdir=args.workdir,
        )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        case, feed, tmp = sys.argv[2:5]
        _child(case, Path(feed), Path(tmp))

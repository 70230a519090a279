"""Benchmark: the ``locatiescan`` site scan at scale, against I/O and geopandas.

Run from the repo root::

    python benchmarks/scan_scale.py --parcels 100000 [--runs 3] [--seed 0]
        [--data-dir DIR] [--engine fast] [--skip-baseline]

A synthetic province of ``--parcels`` parcels (:func:`kansenkaart.synth.
generate_province`) is written as GeoParquet to ``--data-dir`` (default
``benchmarks/.data/p{N}_s{seed}/``) and reused when all its files exist.
Each figure is the median of ``--runs`` runs; every run is a fresh Python
subprocess (this script with a hidden ``--measure`` flag) that imports first,
then times only the work, and reports its wall time and its own peak RSS
(``ru_maxrss``). The parent process imports nothing heavy, so its memory does
not leak into the children's peak RSS.

Figures
-------
io_floor
    Reading the parcels, buildings and zoning GeoParquet files into
    GeoDataFrames with ``geopandas.read_parquet`` (decoding into shapely
    included): the least any scan on these files can take.
scan
    ``kansenkaart.pipeline.run_scan`` with ``scans/locatiescan.toml`` end to
    end in memory: reading, candidates, rules, scores, ranks and explanations.
    Synthetic parcels are 100-2,000 m², so the shipped capacity veto (15
    homes at 30 per hectare, 5,000 m²) would exclude every one of them and
    nothing would be scored or ranked; the benchmark therefore runs a copy of
    the scan (``bench_scan.toml`` in the data folder) whose veto asks for
    ``BENCH_MIN_UNITS`` homes, so that most parcels are scored and ranked.
baseline
    The same scan written as idiomatic geopandas (``gpd.overlay`` + groupby,
    ``gpd.sjoin_nearest``; see ``benchmarks/_baseline.py``).

A sanity check (one untimed run of both scans, skipped with the baseline)
prints the share of parcels on which their outcomes and scores agree. The
last line is machine-readable::

    parcels=N io_floor_s=X scan_s=Y baseline_s=Z ratio_to_io_floor=Y/X
    speedup_vs_geopandas=Z/Y peak_rss_mb=P

(one line), where ``peak_rss_mb`` is the highest peak RSS of the scan runs.
This is a script, not a test: pytest does not collect it and the test run
does not execute it.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
LAYERS = ("parcels", "buildings", "zoning")
FILES = {
    "parcels": "parcels.parquet",
    "buildings": "buildings.parquet",
    "zoning": "zoning.parquet",
    "ownership": "ownership.csv",
    "vacancy": "vacancy.csv",
}
MEASUREMENTS = ("io_floor", "scan", "baseline")
#: Minimum homes of the capacity veto in the benchmark's copy of the scan.
BENCH_MIN_UNITS = 1


# ---------------------------------------------------------------------------
# child side: one measurement per process
# ---------------------------------------------------------------------------


def _files(data_dir: Path) -> dict[str, Path]:
    return {name: data_dir / file for name, file in FILES.items()}


def _peak_rss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _generate(n: int, seed: int, data_dir: Path) -> dict[str, Any]:
    from kansenkaart.synth import generate_province, write_province  # noqa: PLC0415

    start = time.perf_counter()
    write_province(
        generate_province(n, seed=seed), data_dir, format="parquet", overwrite=True
    )
    return {"seconds": time.perf_counter() - start}


def _measure_io_floor(files: dict[str, Path]) -> float:
    import geopandas as gpd  # noqa: PLC0415

    start = time.perf_counter()
    frames = [gpd.read_parquet(files[name]) for name in LAYERS]
    seconds = time.perf_counter() - start
    del frames
    return seconds


def _run_scan(
    files: dict[str, Path], engine: str | None
) -> tuple[Any, float, list[str]]:
    """Import, then run and time the scan; returns (result, seconds, notes)."""
    import inspect  # noqa: PLC0415

    from kansenkaart.datasets import scan_path  # noqa: PLC0415
    from kansenkaart.pipeline import ScanInputs, run_scan  # noqa: PLC0415

    inputs = ScanInputs(
        buildings=[files["buildings"]],
        parcels=[files["parcels"]],
        zoning=[files["zoning"]],
        layers={"ownership": files["ownership"]},
    )
    kwargs: dict[str, Any] = {}
    notes = []
    if engine and engine != "fast":
        if "engine" in inspect.signature(run_scan).parameters:
            kwargs["engine"] = engine
        else:
            notes.append(f"run_scan has no engine kwarg; --engine {engine} ignored")
    scan = _bench_scan(scan_path("locatiescan"), files["parcels"].parent)
    start = time.perf_counter()
    result = run_scan(scan, inputs, **kwargs)
    seconds = time.perf_counter() - start
    return result, seconds, notes


def _bench_scan(shipped: Path, folder: Path) -> Path:
    """The shipped scan with the capacity veto at ``BENCH_MIN_UNITS`` homes."""
    text = shipped.read_text(encoding="utf-8")
    old = "params = { units_per_ha = 30, min_units = 15 }"
    if old not in text:
        msg = f"{shipped}: capacity veto parameters changed; update the benchmark"
        raise SystemExit(msg)
    out = folder / "bench_scan.toml"
    new = f"params = {{ units_per_ha = 30, min_units = {BENCH_MIN_UNITS} }}"
    out.write_text(text.replace(old, new), encoding="utf-8")
    return out


def _measure_baseline(files: dict[str, Path]) -> float:
    sys.path.insert(0, str(HERE))
    from _baseline import baseline_scan  # noqa: PLC0415

    start = time.perf_counter()
    baseline_scan(files, min_units=BENCH_MIN_UNITS)
    return time.perf_counter() - start


def _check(files: dict[str, Path], engine: str | None) -> dict[str, Any]:
    """Compare the baseline with the scan on the parcels (untimed)."""
    import numpy as np  # noqa: PLC0415
    import pandas as pd  # noqa: PLC0415

    sys.path.insert(0, str(HERE))
    from _baseline import baseline_scan  # noqa: PLC0415

    result, _, notes = _run_scan(files, engine)
    ours = result.candidates
    base = baseline_scan(files, min_units=BENCH_MIN_UNITS)
    extra = int((~ours.index.isin(base.index)).sum())
    ours = ours.reindex(base.index)
    outcome_ok = (ours["outcome"].astype(str) == base["outcome"]).to_numpy()
    a = ours["score"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    b = base["score"].to_numpy(dtype=float, na_value=np.nan)
    score_ok = (np.isnan(a) & np.isnan(b)) | (np.abs(a - b) <= 1e-6)
    rank_ok = (
        ours["rank"].astype("Int64").fillna(-1).to_numpy()
        == base["rank"].fillna(-1).to_numpy()
    )
    # the score before vetoes, so scores are compared even where all is excluded
    table = result.table
    weights = {r.id: r.weight for r in table.rules if r.kind == "score"}
    vals = table.values.reindex(base.index)[list(weights)].astype("Float64")
    raw = (vals * pd.Series(weights)).sum(axis=1, min_count=len(weights))
    raw = (100 * raw / sum(weights.values())).round(6)
    a = raw.to_numpy(dtype=float, na_value=np.nan)
    b = base["raw_score"].to_numpy(dtype=float, na_value=np.nan)
    raw_ok = (np.isnan(a) & np.isnan(b)) | (np.abs(a - b) <= 1e-6)
    return {
        "parcels": len(base),
        "outcome_agree": float(outcome_ok.mean()),
        "score_agree": float(score_ok.mean()),
        "rank_agree": float(rank_ok.mean()),
        "raw_score_agree": float(raw_ok.mean()),
        "outcomes": base["outcome"].value_counts().to_dict(),
        "extra_candidates": extra,
        "notes": notes,
    }


def _child(args: argparse.Namespace) -> None:
    files = _files(args.data_dir)
    if args.measure == "generate":
        out = _generate(args.parcels, args.seed, args.data_dir)
    elif args.measure == "check":
        out = _check(files, args.engine)
    else:
        notes: list[str] = []
        if args.measure == "io_floor":
            seconds = _measure_io_floor(files)
        elif args.measure == "scan":
            _, seconds, notes = _run_scan(files, args.engine)
        else:
            seconds = _measure_baseline(files)
        out = {"seconds": seconds, "notes": notes}
    out["peak_rss_kib"] = _peak_rss_kib()
    print(json.dumps(out))


# ---------------------------------------------------------------------------
# parent side: orchestration and report
# ---------------------------------------------------------------------------


def _spawn(args: argparse.Namespace, what: str) -> dict[str, Any]:
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--measure",
        what,
        "--parcels",
        str(args.parcels),
        "--seed",
        str(args.seed),
        "--data-dir",
        str(args.data_dir),
    ]
    if args.engine:
        cmd += ["--engine", args.engine]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=REPO)
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        sys.stderr.write(proc.stdout + proc.stderr)
        msg = f"--measure {what} failed (exit {proc.returncode})"
        raise SystemExit(msg)
    return json.loads(lines[-1])


def _ensure_data(args: argparse.Namespace) -> None:
    if all(p.exists() for p in _files(args.data_dir).values()):
        print(f"data: reusing {args.data_dir}")
        return
    print(f"data: generating {args.parcels} parcels into {args.data_dir} ...")
    out = _spawn(args, "generate")
    print(f"data: generated in {out['seconds']:.1f} s")


def _row(name: str, runs: list[dict[str, Any]]) -> str:
    secs = [r["seconds"] for r in runs]
    rss = max(r["peak_rss_kib"] for r in runs) / 1024
    return (
        f"{name:<10} {statistics.median(secs):>10.3f} {min(secs):>9.3f} "
        f"{max(secs):>9.3f} {rss:>13.1f}"
    )


def _report(
    args: argparse.Namespace, runs: dict[str, list[dict[str, Any]]], check: dict | None
) -> None:
    def median(name: str) -> float:
        return (
            statistics.median(r["seconds"] for r in runs[name])
            if runs.get(name)
            else math.nan
        )

    print()
    print(f"parcels: {args.parcels}  runs: {args.runs}  cpus: {os.cpu_count()}")
    head = ("measure", "median s", "min s", "max s", "peak RSS MB")
    print(f"{head[0]:<10} {head[1]:>10} {head[2]:>9} {head[3]:>9} {head[4]:>13}")
    for name in MEASUREMENTS:
        if runs.get(name):
            print(_row(name, runs[name]))
        else:
            print(f"{name:<10} {'skipped':>10}")
    notes = {n for rs in runs.values() for r in rs for n in r.get("notes", [])}
    for note in sorted(notes):
        print(f"note: {note}")
    if check is not None:
        print(
            f"note: baseline vs scan on {check['parcels']} parcels: outcome agrees "
            f"{check['outcome_agree']:.2%}, score (1e-6) {check['score_agree']:.2%}, "
            f"rank {check['rank_agree']:.2%}, score before vetoes "
            f"{check['raw_score_agree']:.2%}; scan candidates that are not "
            f"parcels: {check['extra_candidates']}"
        )
        counts = ", ".join(f"{k} {v}" for k, v in sorted(check["outcomes"].items()))
        print(f"note: baseline outcomes: {counts}")
    io, scan, base = median("io_floor"), median("scan"), median("baseline")
    peak = max(r["peak_rss_kib"] for r in runs["scan"]) / 1024
    print(
        f"parcels={args.parcels} io_floor_s={io:.3f} scan_s={scan:.3f} "
        f"baseline_s={base:.3f} ratio_to_io_floor={scan / io:.2f} "
        f"speedup_vs_geopandas={base / scan:.2f} peak_rss_mb={peak:.1f}"
    )


def _parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="Time the locatiescan site scan against I/O and geopandas."
    )
    p.add_argument("--parcels", type=int, required=True, help="number of parcels")
    p.add_argument("--runs", type=int, default=3, help="runs per figure (median)")
    p.add_argument("--seed", type=int, default=0, help="seed of the synthetic data")
    p.add_argument("--data-dir", type=Path, help="folder of the synthetic province")
    p.add_argument("--engine", help="run_scan engine (passed when not 'fast')")
    p.add_argument("--skip-baseline", action="store_true", help="skip geopandas")
    p.add_argument(
        "--measure",
        choices=(*MEASUREMENTS, "generate", "check"),
        help=argparse.SUPPRESS,
    )
    args = p.parse_args(argv)
    if args.data_dir is None:
        args.data_dir = HERE / ".data" / f"p{args.parcels}_s{args.seed}"
    args.data_dir = args.data_dir.resolve()
    return args


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark (or, with the hidden ``--measure``, one measurement)."""
    args = _parse(argv)
    if args.measure:
        _child(args)
        return
    _ensure_data(args)
    todo = [m for m in MEASUREMENTS if not (args.skip_baseline and m == "baseline")]
    runs: dict[str, list[dict[str, Any]]] = {}
    for name in todo:
        runs[name] = []
        for i in range(args.runs):
            runs[name].append(_spawn(args, name))
            print(f"{name} run {i + 1}/{args.runs}: {runs[name][-1]['seconds']:.3f} s")
    check = None if args.skip_baseline else _spawn(args, "check")
    _report(args, runs, check)


if __name__ == "__main__":
    main()

"""Benchmark: the ``locatiescan`` site scan at scale, against I/O and geopandas.

Run from the repo root::

    python benchmarks/scan_scale.py --parcels 100000 [--runs 3] [--seed 0]
        [--data-dir DIR] [--engine fast|partitioned|dask] [--skip-baseline]
        [--measures io_floor,scan,folder,baseline]

    # the national size: 9 tiles of 1M parcels, partitioned engine, end to end
    python benchmarks/scan_scale.py --parcels 9000000 --engine partitioned \
        --measures io_floor,folder --runs 1

A synthetic province of ``--parcels`` parcels (:func:`kansenkaart.synth.
generate_province`) is written as GeoParquet to ``--data-dir`` (default
``benchmarks/.data/p{N}_s{seed}/``) and reused when all its files exist.
Above ``--tile-parcels`` (1M) the province is made of tiles: copies of the
synthetic province of ``--tile-parcels`` parcels, laid out in a grid of three
columns 1 km apart, each with ids of its own (kadastrale gemeente ``SAN``,
``SBN``, ...; the tile in the fifth digit of BAG ids), so that making national
data needs no more memory than one province. Each figure is the median of
``--runs`` runs; every run is a fresh Python subprocess (this script with a
hidden ``--measure`` flag) that imports first, then times only the work, and
reports its wall time and its own peak RSS (``ru_maxrss``). While it runs,
the parent samples the proportional set size (PSS) of the child and all its
descendants (worker processes included) with psutil every 0.25 s:
``peak_pss_mb`` is the highest sum, in which pages shared between processes count once.

With ``--engine partitioned`` (or ``dask``) the inputs are first converted
once with :func:`kansenkaart.prepare.prepare_dataset` into
``DATA_DIR/prepared`` (timed and printed, not part of the scan figure) and
the scans read that folder.

Figures
-------
io_floor
    Reading the parcels, buildings and zoning GeoParquet files into
    GeoDataFrames with ``geopandas.read_parquet`` (decoding into shapely
    included): the least any scan on these files can take.
scan
    ``kansenkaart.pipeline.run_scan`` with ``scans/locatiescan.toml`` end to
    end in memory: reading, candidates, rules, scores, ranks and explanations.
    The benchmark runs a copy of the scan (``bench_scan.toml`` in the data
    folder) with the rules the baseline implements
    (``benchmarks/_baseline.py``, ``RULES``: the vetoes and scores the
    synthetic province can decide). The shipped scan's other rules need
    layers the synthetic province does not have (Natura 2000, noise,
    monuments, ...), and a veto without its layer makes every parcel
    *onbekend* (issue 12), so nothing would be scored or ranked. The
    synthetic buildings cover the whole province, so the copy declares them
    ``national`` (no parcel lies beyond their coverage). Synthetic
    parcels are 100-2,000 m², so the shipped capacity veto (15 homes at 30
    per hectare, 5,000 m²) would exclude every one of them; the copy's veto
    asks for ``BENCH_MIN_UNITS`` homes, so that most parcels are scored and
    ranked.
folder
    ``kansenkaart.pipeline.scan_to_folder``: the scan end to end including
    writing ``candidates.gpkg`` and ``candidates.csv`` (with the partitioned
    engine written partition by partition; the folder is removed afterwards).
    Not measured for the fast engine, whose folder includes an Excel sheet.
baseline
    The same scan written as idiomatic geopandas (``gpd.overlay`` + groupby,
    ``gpd.sjoin_nearest``; see ``benchmarks/_baseline.py``).

A sanity check (one untimed run of both scans, skipped with the baseline)
prints the share of parcels on which their outcomes and scores agree. The
last line is machine-readable::

    parcels=N io_floor_s=X scan_s=Y baseline_s=Z ratio_to_io_floor=Y/X
    speedup_vs_geopandas=Z/Y peak_rss_mb=P engine=E peak_pss_mb=Q
    [folder_s=F folder_peak_pss_mb=R]

(one line), where ``peak_rss_mb`` is the highest peak RSS of the scan runs
(of the measuring process alone) and ``peak_pss_mb`` the highest PSS of the
scan runs' whole process tree.
This is a script, not a test: pytest does not collect it and the test run
does not execute it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
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
MEASUREMENTS = ("io_floor", "scan", "folder", "baseline")
#: Parcels of one tile of a national province.
TILE_PARCELS = 1_000_000
#: Seconds between two PSS samples.
PSS_INTERVAL_S = 0.25
#: Minimum homes of the capacity veto in the benchmark's copy of the scan.
BENCH_MIN_UNITS = 1


# ---------------------------------------------------------------------------
# child side: one measurement per process
# ---------------------------------------------------------------------------


def _tiles(data_dir: Path) -> int:
    marker = data_dir / "tiles.json"
    if marker.exists():
        return int(json.loads(marker.read_text())["tiles"])
    return 1


def _files(data_dir: Path, tiles: int | None = None) -> dict[str, list[Path]]:
    """Input files by name (a list per name: one file per tile)."""
    tiles = _tiles(data_dir) if tiles is None else tiles
    if tiles == 1:
        return {name: [data_dir / file] for name, file in FILES.items()}
    return {
        name: [
            data_dir / f"{Path(file).stem}_{i:02d}{Path(file).suffix}"
            for i in range(tiles)
        ]
        for name, file in FILES.items()
    }


def _peak_rss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _generate(n: int, seed: int, data_dir: Path, tile_parcels: int) -> dict[str, Any]:
    from kansenkaart.synth import generate_province, write_province  # noqa: PLC0415

    start = time.perf_counter()
    if n <= tile_parcels:
        write_province(
            generate_province(n, seed=seed), data_dir, format="parquet", overwrite=True
        )
        return {"seconds": time.perf_counter() - start}
    tiles = math.ceil(n / tile_parcels)
    base = HERE / ".data" / f"p{tile_parcels}_s{seed}"
    if not all(p.exists() for paths in _files(base, 1).values() for p in paths):
        base.mkdir(parents=True, exist_ok=True)
        _generate(tile_parcels, seed, base, tile_parcels)
    for i in range(tiles):
        cmd = [sys.executable, str(Path(__file__).resolve()), "--measure", "tile",
               "--parcels", str(tile_parcels), "--seed", str(seed), "--data-dir",
               str(data_dir), "--tile", str(i), "--base-dir", str(base)]  # fmt: skip
        subprocess.run(cmd, check=True, cwd=REPO)
        print(f"tile {i + 1}/{tiles} written", file=sys.stderr)
    (data_dir / "tiles.json").write_text(json.dumps({"tiles": tiles}))
    return {"seconds": time.perf_counter() - start}


def _write_tile(base: Path, data_dir: Path, tile: int) -> dict[str, Any]:
    """One tile of a national province: a copy of the base province, moved
    to its place in a 3-column grid, with ids of its own."""
    import geopandas as gpd  # noqa: PLC0415
    import numpy as np  # noqa: PLC0415
    import pandas as pd  # noqa: PLC0415
    import shapely  # noqa: PLC0415

    from kansenkaart.io.parquet import write_canonical_parquet  # noqa: PLC0415

    src = _single(_files(base, 1))
    layers = {name: gpd.read_parquet(src[name]) for name in LAYERS}
    tables = {
        name: pd.read_csv(src[name], dtype=str) for name in ("ownership", "vacancy")
    }
    x0, y0, x1, y1 = layers["parcels"].total_bounds
    shift = np.array([(tile % 3) * (x1 - x0 + 1000), (tile // 3) * (y1 - y0 + 1000)])
    for frame in layers.values():
        frame.geometry = shapely.transform(frame.geometry.values, lambda xy: xy + shift)
    # ids stay in their real formats: kadastrale gemeente SYN -> S{A..}N,
    # BAG ids (4-digit code + "10" + 10 digits) get the tile in digit 5
    akr = f"S{chr(ord('A') + tile)}N"
    for frame in (layers["parcels"], tables["ownership"]):
        frame["parcel_id"] = akr + frame["parcel_id"].astype("string").str[3:]
    for frame in (layers["buildings"], tables["vacancy"]):
        ids = frame["building_id"].astype("string")
        frame["building_id"] = ids.str[:4] + str(tile + 1) + ids.str[5:]
    for col in ("object_id", "plan_id"):
        layers["zoning"][col] = f"T{tile}." + layers["zoning"][col].astype("string")
    out = _files(data_dir, tile + 2)  # tiled names (any count above 1)
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    for name, frame in layers.items():
        write_canonical_parquet(frame, out[name][tile])
    for name, table in tables.items():
        table.to_csv(out[name][tile], index=False)
    return {"seconds": 0.0}


def _prepared(data_dir: Path) -> Path:
    return data_dir / "prepared"


def _prepare(data_dir: Path) -> dict[str, Any]:
    from kansenkaart.prepare import prepare_dataset  # noqa: PLC0415
    from kansenkaart.sources.layers import ScanInputs  # noqa: PLC0415

    files = _files(data_dir)
    inputs = ScanInputs(
        buildings=files["buildings"],
        parcels=files["parcels"],
        zoning=files["zoning"],
        layers={"ownership": files["ownership"][0]}
        if len(files["ownership"]) == 1
        else {},
    )
    if len(files["ownership"]) > 1:  # one table for the whole country
        import pandas as pd  # noqa: PLC0415

        merged = data_dir / "ownership_all.csv"
        if not merged.exists():
            pd.concat([pd.read_csv(p, dtype=str) for p in files["ownership"]]).to_csv(
                merged, index=False
            )
        inputs.layers["ownership"] = merged
    start = time.perf_counter()
    prepare_dataset(inputs, _prepared(data_dir), overwrite=True)
    return {"seconds": time.perf_counter() - start}


def _measure_io_floor(files: dict[str, list[Path]]) -> float:
    """Reading every layer (tile by tile, each freed before the next)."""
    import geopandas as gpd  # noqa: PLC0415

    seconds = 0.0
    for tile in range(len(files["parcels"])):
        start = time.perf_counter()
        frames = [gpd.read_parquet(files[name][tile]) for name in LAYERS]
        seconds += time.perf_counter() - start
        del frames
    return seconds


def _inputs(files: dict[str, list[Path]], engine: str | None) -> Any:
    from kansenkaart.sources.layers import ScanInputs  # noqa: PLC0415

    if engine in ("partitioned", "dask"):
        return ScanInputs(parcels=[_prepared(files["parcels"][0].parent)])
    return ScanInputs(
        buildings=files["buildings"],
        parcels=files["parcels"],
        zoning=files["zoning"],
        layers={"ownership": files["ownership"][0]},
    )


def _run_scan(
    files: dict[str, list[Path]], engine: str | None
) -> tuple[Any, float, list[str]]:
    """Import, then run and time the scan; returns (result, seconds, notes)."""
    from kansenkaart.datasets import scan_path  # noqa: PLC0415
    from kansenkaart.pipeline import run_scan  # noqa: PLC0415

    scan = _bench_scan(scan_path("locatiescan"), files["parcels"][0].parent)
    inputs = _inputs(files, engine)
    start = time.perf_counter()
    result = run_scan(scan, inputs, engine=engine or "fast")
    seconds = time.perf_counter() - start
    return result, seconds, []


def _run_folder(files: dict[str, list[Path]], engine: str | None) -> float:
    """The scan end to end into a result folder (removed afterwards)."""
    from kansenkaart.datasets import scan_path  # noqa: PLC0415
    from kansenkaart.pipeline import scan_to_folder  # noqa: PLC0415

    data_dir = files["parcels"][0].parent
    scan = _bench_scan(scan_path("locatiescan"), data_dir)
    inputs = _inputs(files, engine)
    with tempfile.TemporaryDirectory(dir=data_dir) as tmp:
        start = time.perf_counter()
        scan_to_folder(scan, inputs, Path(tmp) / "out", engine=engine or "fast")
        return time.perf_counter() - start


def _bench_scan(shipped: Path, folder: Path) -> Path:
    """The shipped scan restricted to the baseline's rules, with the capacity
    veto at ``BENCH_MIN_UNITS`` homes."""
    sys.path.insert(0, str(HERE))
    from _baseline import RULES  # noqa: PLC0415

    text = shipped.read_text(encoding="utf-8")
    old = "params = { units_per_ha = 30, min_units = 15 }"
    if old not in text:
        msg = f"{shipped}: capacity veto parameters changed; update the benchmark"
        raise SystemExit(msg)
    head, *blocks = text.split("\n[[rule]]\n")
    ids = [re.search(r'^id = "([^"]+)"', b, re.MULTILINE) for b in blocks]
    found = {m.group(1) for m in ids if m}
    if missing := set(RULES) - found:
        msg = f"{shipped}: no rule {sorted(missing)}; update benchmarks/_baseline.py"
        raise SystemExit(msg)
    kept = [b for b, m in zip(blocks, ids, strict=True) if m and m.group(1) in RULES]
    # the synthetic buildings cover the whole province (no extract edge)
    head += "\n[layers.buildings]\nnational = true\n"
    text = "\n[[rule]]\n".join([head, *kept])
    new = f"params = {{ units_per_ha = 30, min_units = {BENCH_MIN_UNITS} }}"
    out = folder / "bench_scan.toml"
    out.write_text(text.replace(old, new), encoding="utf-8")
    return out


def _single(files: dict[str, list[Path]]) -> dict[str, Path]:
    return {name: paths[0] for name, paths in files.items()}


def _measure_baseline(files: dict[str, list[Path]]) -> float:
    sys.path.insert(0, str(HERE))
    from _baseline import baseline_scan  # noqa: PLC0415

    start = time.perf_counter()
    baseline_scan(_single(files), min_units=BENCH_MIN_UNITS)
    return time.perf_counter() - start


def _check(files: dict[str, list[Path]], engine: str | None) -> dict[str, Any]:
    """Compare the baseline with the scan on the parcels (untimed)."""
    import numpy as np  # noqa: PLC0415
    import pandas as pd  # noqa: PLC0415

    sys.path.insert(0, str(HERE))
    from _baseline import baseline_scan  # noqa: PLC0415

    result, _, notes = _run_scan(files, engine)
    ours = result.candidates
    base = baseline_scan(_single(files), min_units=BENCH_MIN_UNITS)
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
    if args.measure == "tile":
        out = _write_tile(args.base_dir, args.data_dir, args.tile)
    elif args.measure == "generate":
        out = _generate(args.parcels, args.seed, args.data_dir, args.tile_parcels)
    elif args.measure == "prepare":
        out = _prepare(args.data_dir)
    elif args.measure == "check":
        out = _check(_files(args.data_dir), args.engine)
    else:
        files = _files(args.data_dir)
        notes: list[str] = []
        if args.measure == "io_floor":
            seconds = _measure_io_floor(files)
        elif args.measure == "scan":
            _, seconds, notes = _run_scan(files, args.engine)
        elif args.measure == "folder":
            seconds = _run_folder(files, args.engine)
        else:
            seconds = _measure_baseline(files)
        out = {"seconds": seconds, "notes": notes}
    out["peak_rss_kib"] = _peak_rss_kib()
    print(json.dumps(out))


# ---------------------------------------------------------------------------
# parent side: orchestration and report
# ---------------------------------------------------------------------------


def _tree_pss(proc: Any) -> int:
    """PSS (bytes) of a process and all its descendants; shared pages once."""
    import psutil  # noqa: PLC0415

    total = 0
    try:
        procs = [proc, *proc.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    for p in procs:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            total += p.memory_full_info().pss
    return total


def _sample_pss(pid: int, stop: threading.Event, peak: list[int]) -> None:
    import psutil  # noqa: PLC0415

    proc = psutil.Process(pid)
    while not stop.is_set():
        peak[0] = max(peak[0], _tree_pss(proc))
        stop.wait(PSS_INTERVAL_S)


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
        "--tile-parcels",
        str(args.tile_parcels),
    ]
    if args.engine:
        cmd += ["--engine", args.engine]
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, text=True, cwd=REPO)
        stop, peak = threading.Event(), [0]
        sampler = threading.Thread(target=_sample_pss, args=(proc.pid, stop, peak))
        sampler.start()
        code = proc.wait()
        stop.set()
        sampler.join()
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    lines = stdout.strip().splitlines()
    if code != 0 or not lines:
        sys.stderr.write(stdout + stderr)
        msg = f"--measure {what} failed (exit {code})"
        raise SystemExit(msg)
    result = json.loads(lines[-1])
    result["peak_pss_kib"] = peak[0] // 1024
    return result


def _ensure_data(args: argparse.Namespace) -> None:
    tiles = max(1, math.ceil(args.parcels / args.tile_parcels))
    files = _files(args.data_dir, tiles)
    if all(p.exists() for paths in files.values() for p in paths):
        print(f"data: reusing {args.data_dir}")
    else:
        print(f"data: generating {args.parcels} parcels into {args.data_dir} ...")
        out = _spawn(args, "generate")
        print(f"data: generated in {out['seconds']:.1f} s")
    if args.engine in ("partitioned", "dask"):
        if (_prepared(args.data_dir) / "kansenkaart-prepared.json").exists():
            print(f"prepared: reusing {_prepared(args.data_dir)}")
        else:
            out = _spawn(args, "prepare")
            print(
                f"prepare: {out['seconds']:.1f} s, peak PSS "
                f"{out['peak_pss_kib'] / 1024:.0f} MB"
            )


def _row(name: str, runs: list[dict[str, Any]]) -> str:
    secs = [r["seconds"] for r in runs]
    rss = max(r["peak_rss_kib"] for r in runs) / 1024
    pss = max(r["peak_pss_kib"] for r in runs) / 1024
    return (
        f"{name:<10} {statistics.median(secs):>10.3f} {min(secs):>9.3f} "
        f"{max(secs):>9.3f} {rss:>13.1f} {pss:>13.1f}"
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
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"parcels: {args.parcels}  runs: {args.runs}  cpus: {os.cpu_count()}  "
        f"load average at the end: {load}"
    )
    head = ("measure", "median s", "min s", "max s", "peak RSS MB", "peak PSS MB")
    print(
        f"{head[0]:<10} {head[1]:>10} {head[2]:>9} {head[3]:>9} {head[4]:>13} "
        f"{head[5]:>13}"
    )
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
    main = "scan" if runs.get("scan") else "folder"
    rss = max(r["peak_rss_kib"] for r in runs[main]) / 1024
    pss = max(r["peak_pss_kib"] for r in runs[main]) / 1024
    line = (
        f"parcels={args.parcels} io_floor_s={io:.3f} scan_s={scan:.3f} "
        f"baseline_s={base:.3f} ratio_to_io_floor={scan / io:.2f} "
        f"speedup_vs_geopandas={base / scan:.2f} peak_rss_mb={rss:.1f} "
        f"engine={args.engine or 'fast'} peak_pss_mb={pss:.1f}"
    )
    if runs.get("folder"):
        folder_pss = max(r["peak_pss_kib"] for r in runs["folder"]) / 1024
        line += f" folder_s={median('folder'):.3f} folder_peak_pss_mb={folder_pss:.1f}"
    print(line)


def _parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="Time the locatiescan site scan against I/O and geopandas."
    )
    p.add_argument("--parcels", type=int, required=True, help="number of parcels")
    p.add_argument("--runs", type=int, default=3, help="runs per figure (median)")
    p.add_argument("--seed", type=int, default=0, help="seed of the synthetic data")
    p.add_argument("--data-dir", type=Path, help="folder of the synthetic province")
    p.add_argument(
        "--engine",
        choices=("fast", "partitioned", "dask"),
        default="fast",
        help="engine of the scan (partitioned and dask read a prepared folder)",
    )
    p.add_argument("--skip-baseline", action="store_true", help="skip geopandas")
    p.add_argument(
        "--measures",
        help="comma-separated subset of io_floor,scan,folder,baseline "
        "(default: io_floor,scan,baseline; with a non-fast engine also folder)",
    )
    p.add_argument(
        "--tile-parcels",
        type=int,
        default=TILE_PARCELS,
        help="above this many parcels the province is made of tiles",
    )
    p.add_argument(
        "--measure",
        choices=(*MEASUREMENTS, "generate", "check", "tile", "prepare"),
        help=argparse.SUPPRESS,
    )
    p.add_argument("--tile", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--base-dir", type=Path, help=argparse.SUPPRESS)
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
    if args.measures:
        todo = [m for m in MEASUREMENTS if m in args.measures.split(",")]
    else:
        todo = ["io_floor", "scan", "baseline"]
        if args.engine != "fast":
            todo.insert(2, "folder")
    tiled = _tiles(args.data_dir) > 1
    todo = [m for m in todo if not ((args.skip_baseline or tiled) and m == "baseline")]
    runs: dict[str, list[dict[str, Any]]] = {}
    for name in todo:
        runs[name] = []
        for i in range(args.runs):
            runs[name].append(_spawn(args, name))
            print(f"{name} run {i + 1}/{args.runs}: {runs[name][-1]['seconds']:.3f} s")
    skip = args.skip_baseline or "baseline" not in todo or args.engine != "fast"
    check = None if skip else _spawn(args, "check")
    _report(args, runs, check)


if __name__ == "__main__":
    main()

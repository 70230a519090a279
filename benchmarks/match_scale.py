"""Benchmark: the match planner on synthetic regions.

Run from the repo root::

    python benchmarks/match_scale.py --sites 1000 --batches 200 --periods 60
    python benchmarks/match_scale.py --national        # 10,000 x 2,000 x 60

A synthetic region (seed 0) is made in memory: sites spread over a square
of ``--side-km`` (60 km for a region), capacities of 15-150 units, terms of
5-15 years starting in the first 10 years, scores 0-100; batches of 15-60
units of three types, standing at random places, free in the first three
years. Each site allows one or all unit types.

The regional case is planned as one MILP. The national case
(``--national``) is 10 regions of the regional size (sites and batches
grouped by the region they lie in), each planned on its own: moves between
regions are beyond the 60 km limit anyway, so the decomposition loses
nothing; the figures add up the regions (solve time is the sum, gap the
worst). Timings are wall clock; ``peak_rss_mb`` is this process's peak RSS.

The last line is machine-readable::

    sites=… batches=… periods=… solve_s=… gap=… greedy_units=…
    optimal_units=… peak_rss_mb=…

(one line)

where ``*_units`` are unit-years housed. This is a script, not a test.
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import pandas as pd

from kansenkaart.match import BatchTable, Policy, SiteTable, horizon_from, run_match

TYPES = np.array(["studio", "1-2 kamer", "gezin"])


def synthetic_region(
    n_sites: int, n_batches: int, *, side_km: float, seed: int, offset_km: float = 0.0
) -> tuple[SiteTable, BatchTable]:
    """Return random sites and batches in a square region (RD New metres)."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2026-01-01")
    begin = rng.integers(0, 40, n_sites)  # quarter the term starts
    length = rng.integers(20, 61, n_sites)  # 5-15 years
    one_type = rng.random(n_sites) < 0.5
    types = [
        frozenset({str(t)}) if one else frozenset()
        for t, one in zip(rng.choice(TYPES, n_sites), one_type, strict=True)
    ]
    capacity = rng.integers(15, 151, n_sites)
    sites = pd.DataFrame({
        "site_id": [f"S{seed}-{k}" for k in range(n_sites)],
        "x": 100_000 + offset_km * 1000 + rng.random(n_sites) * side_km * 1000,
        "y": 450_000 + rng.random(n_sites) * side_km * 1000,
        "capacity": capacity,
        "available_from": [start + pd.DateOffset(months=3 * int(b)) for b in begin],
        "available_to": [start + pd.DateOffset(months=3 * int(b + n))
                         for b, n in zip(begin, length, strict=True)],
        "score": rng.uniform(0, 100, n_sites).round(1),
        "region": "", "province": "", "prep_eur": 150_000.0,
        "unit_types": types, "target_groups": [frozenset()] * n_sites,
    })  # fmt: skip
    batches = pd.DataFrame({
        "batch_id": [f"B{seed}-{k}" for k in range(n_batches)],
        "units": rng.integers(15, 61, n_batches),
        "unit_type": rng.choice(TYPES, n_batches), "target_group": "",
        "x": 100_000 + offset_km * 1000 + rng.random(n_batches) * side_km * 1000,
        "y": 450_000 + rng.random(n_batches) * side_km * 1000,
        "free_from": [start + pd.DateOffset(months=3 * int(q))
                      for q in rng.integers(0, 12, n_batches)],
        "life_until": pd.NaT, "in_storage": True, "region": "", "province": "",
        "dismantle_eur": np.nan, "assemble_eur": np.nan, "transport_eur_per_km": np.nan,
    })  # fmt: skip
    return (
        SiteTable(frame=sites, source="synthetic", sha256=""),
        BatchTable(frame=batches, source="synthetic", sha256=""),
    )


def run_region(
    sites: SiteTable, batches: BatchTable, periods: int, policy: Policy
) -> dict:
    horizon = horizon_from(
        "2026-01",
        str(pd.Timestamp("2026-01-01") + pd.DateOffset(months=3 * periods))[:7],
    )
    began = time.perf_counter()
    result = run_match(sites, batches, horizon, policy=policy)
    total = time.perf_counter() - began
    s = result.summary
    return {
        "solve_s": result.solution.solve_s,
        "total_s": total,
        "gap": s["solver"]["gap"],
        "status": s["solver"]["status"],
        "greedy_units": s["greedy"]["unit_years_housed"],
        "optimal_units": s["plan"]["unit_years_housed"],
        "greedy_objective": s["greedy"]["objective"],
        "optimal_objective": s["plan"]["objective"],
        "columns": s["solver"]["columns"],
        "rows": s["solver"]["rows"],
        "binaries": s["solver"]["binaries"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=1000)
    parser.add_argument("--batches", type=int, default=200)
    parser.add_argument("--periods", type=int, default=60)
    parser.add_argument("--side-km", type=float, default=60.0)
    parser.add_argument(
        "--national",
        action="store_true",
        help="10 regions of the regional size, planned one by one",
    )
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--max-sites-per-batch", type=int, default=40)
    parser.add_argument("--neighbours", type=int, default=10)
    args = parser.parse_args()
    policy = Policy(
        time_limit_s=args.time_limit,
        mip_gap=0.01,
        threads=2,
        max_sites_per_batch=args.max_sites_per_batch,
        neighbours=args.neighbours,
    )
    regions = 10 if args.national else 1
    figures = []
    for k in range(regions):
        sites, batches = synthetic_region(
            args.sites, args.batches, side_km=args.side_km, seed=k, offset_km=k * 200.0
        )
        fig = run_region(sites, batches, args.periods, policy)
        print(
            f"region {k}: " + " ".join(f"{key}={val}" for key, val in fig.items()),
            flush=True,
        )
        figures.append(fig)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"sites={args.sites * regions} batches={args.batches * regions} "
        f"periods={args.periods} "
        f"solve_s={sum(f['solve_s'] for f in figures):.1f} "
        f"gap={max(f['gap'] for f in figures):.4f} "
        f"greedy_units={sum(f['greedy_units'] for f in figures):.0f} "
        f"optimal_units={sum(f['optimal_units'] for f in figures):.0f} "
        f"peak_rss_mb={peak:.0f}"
    )


if __name__ == "__main__":
    main()

"""Peak memory and time of the weight sensitivity, against the number of runs.

Before issue 11 every run's ranks were held at once (runs x candidates x 8
bytes: 10^6 runs on 3,374 candidates asked for 25 GiB); now the runs are
streamed in blocks and each candidate keeps a histogram of its ranks.

Run from the repository root::

    python benchmarks/sensitivity_memory.py --candidates 3374 --runs 1000 10000
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np
import pandas as pd

from kansenkaart.rules.definition import Rule
from kansenkaart.rules.engine import RuleTable
from kansenkaart.scoring.sensitivity import weight_sensitivity


def _table(n: int, n_rules: int = 8, seed: int = 0) -> RuleTable:
    rng = np.random.default_rng(seed)
    rules = tuple(
        Rule(id=f"S{i}", title=f"S{i}", kind="score", predicate="p", source="bench",
             weight=float(w))
        for i, w in enumerate(rng.integers(5, 30, n_rules))
    )  # fmt: skip
    values = pd.DataFrame(
        {r.id: pd.array(rng.random(n), dtype="Float64") for r in rules},
        index=pd.Index([f"c{i:06d}" for i in range(n)], name="candidate_id"),
    )
    return RuleTable(values, rules)


def main() -> None:
    """Print runs, seconds, peak MB and what holding every rank would need."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--candidates", type=int, default=3374)
    parser.add_argument("--runs", type=int, nargs="+", default=[1000, 10000])
    args = parser.parse_args()
    table = _table(args.candidates)
    print("runs  seconds  peak_mb  all_ranks_at_once_mb")
    for runs in args.runs:
        tracemalloc.start()
        start = time.perf_counter()
        weight_sensitivity(table, runs=runs, top_k=20, seed=0)
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
        naive = runs * args.candidates * 8 / 1e6
        print(f"{runs:>6} {seconds:8.1f} {peak:8.1f} {naive:21.1f}")


if __name__ == "__main__":
    main()

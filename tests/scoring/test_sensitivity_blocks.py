"""Weight sensitivity streamed in blocks gives the same figures as all runs at once."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest

from kansenkaart.rules.definition import Rule
from kansenkaart.rules.engine import RuleTable
from kansenkaart.scoring.score import score_candidates
from kansenkaart.scoring.sensitivity import weight_sensitivity


def _rule(rule_id: str, weight: float) -> Rule:
    return Rule(
        id=rule_id,
        title=rule_id,
        kind="score",
        predicate="p",
        source="test",
        weight=weight,
    )


def _table(n: int, seed: int) -> RuleTable:
    rng = np.random.default_rng(seed)
    rules = tuple(_rule(f"S{i}", w) for i, w in enumerate((10, 20, 5, 30)))
    values = pd.DataFrame(
        # few distinct values: many ties, broken by candidate id
        {
            r.id: pd.array(rng.choice([0, 0.25, 0.5, 1.0], n), dtype="Float64")
            for r in rules
        },
        index=pd.Index([f"c{i:04d}" for i in rng.permutation(n)], name="candidate_id"),
    )
    return RuleTable(values, rules)


def _all_runs_at_once(
    table: RuleTable, runs: int, top_k: int, seed: int
) -> pd.DataFrame:
    """The former implementation: every run's ranks held in memory."""
    base = score_candidates(table)
    ids = base.index[base["outcome"] == "scored"]
    rules = [r for r in table.rules if r.kind == "score"]
    values = table.values.loc[ids, [r.id for r in rules]].astype(float).to_numpy()
    w0 = np.array([r.weight for r in rules])
    factors = np.random.default_rng(seed).uniform(0.75, 1.25, size=(runs, len(rules)))
    order_ids = np.asarray(ids.astype(str))
    ranks = np.empty((runs, len(ids)))
    for i, f in enumerate(factors):
        w = w0 * f
        s = values @ w / w.sum()
        order = np.lexsort((order_ids, -s))
        ranks[i, order] = np.arange(1, len(ids) + 1)
    out = pd.DataFrame(
        index=base.index, columns=["topk_share", "rank_p5", "rank_p95"], dtype="Float64"
    )
    out.loc[ids, "topk_share"] = (ranks <= top_k).mean(axis=0)
    out.loc[ids, "rank_p5"] = np.percentile(ranks, 5, axis=0)
    out.loc[ids, "rank_p95"] = np.percentile(ranks, 95, axis=0)
    return out


@pytest.mark.parametrize(
    ("n", "runs", "seed"), [(60, 101, 0), (300, 257, 7), (5, 3, 1)]
)
def test_block_size_changes_nothing(n: int, runs: int, seed: int) -> None:
    table = _table(n, seed)
    expected = _all_runs_at_once(table, runs, top_k=10, seed=seed)
    for block in (1, 7, runs, None):
        got = weight_sensitivity(
            table, runs=runs, top_k=10, seed=seed, block_runs=block
        )
        pdt.assert_frame_equal(got, expected, check_exact=True)


def test_memory_does_not_grow_with_runs() -> None:
    import tracemalloc

    table = _table(400, 3)
    peaks = []
    for runs in (200, 2000):
        tracemalloc.start()
        weight_sensitivity(table, runs=runs, top_k=10, seed=0, block_runs=50)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    # ten times the runs: all ranks at once would need ten times the memory
    assert peaks[1] < 1.5 * peaks[0]

"""Weight sensitivity: each run ranks as the scan ranks, and streaming the runs
in blocks gives the same figures as all runs at once."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest

from kansenkaart.rules.definition import Rule
from kansenkaart.rules.engine import RuleTable
from kansenkaart.scoring.score import rank_candidates, score_candidates
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


def _table(n: int, seed: int, *, undecided: bool = False) -> RuleTable:
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
    if not undecided:
        return RuleTable(values, rules)
    # criteria not decided for some candidates (counted 0, ranked below the
    # decided ones with equal points) and a skipped rule undecided for all
    for rid in ("S1", "S3"):
        values.loc[rng.random(n) < 0.3, rid] = pd.NA
    return RuleTable(values, rules, skipped=(_rule("S9", 25),))


def _all_runs_at_once(
    table: RuleTable, runs: int, top_k: int, seed: int
) -> pd.DataFrame:
    """Every run's ranks in memory, each from the scan's own scoring and
    ranking with that run's weights."""
    base = score_candidates(table)
    ids = base.index[base["outcome"] == "scored"]
    rules = [r for r in table.rules if r.kind == "score"]
    factors = np.random.default_rng(seed).uniform(0.75, 1.25, size=(runs, len(rules)))
    ranks = np.empty((runs, len(ids)))
    for i, f in enumerate(factors):
        weights = {r.id: r.weight * x for r, x in zip(rules, f, strict=True)}
        rank = rank_candidates(score_candidates(table, weights=weights))
        ranks[i] = rank.loc[ids].to_numpy(dtype=float)
    out = pd.DataFrame(
        index=base.index, columns=["topk_share", "rank_p5", "rank_p95"], dtype="Float64"
    )
    out.loc[ids, "topk_share"] = (ranks <= top_k).mean(axis=0)
    out.loc[ids, "rank_p5"] = np.percentile(ranks, 5, axis=0)
    out.loc[ids, "rank_p95"] = np.percentile(ranks, 95, axis=0)
    return out


@pytest.mark.parametrize("undecided", [False, True])
@pytest.mark.parametrize(
    ("n", "runs", "seed"), [(60, 101, 0), (300, 257, 7), (5, 3, 1)]
)
def test_block_size_changes_nothing(
    n: int, runs: int, seed: int, *, undecided: bool
) -> None:
    table = _table(n, seed, undecided=undecided)
    expected = _all_runs_at_once(table, runs, top_k=10, seed=seed)
    for block in (1, 7, runs, None):
        got = weight_sensitivity(
            table, runs=runs, top_k=10, seed=seed, block_runs=block
        )
        pdt.assert_frame_equal(got, expected, check_exact=True)


def _hand_table() -> RuleTable:
    rules = (_rule("S0", 25), _rule("S1", 10), _rule("S2", 20))
    values = pd.DataFrame(
        {
            "S0": pd.array([1.0, 0.4, 1.0, 0.5], dtype="Float64"),
            "S1": pd.array([1.0, 0.0, 0.0, 0.0], dtype="Float64"),
            "S2": pd.array([None, 0.4, None, 0.625], dtype="Float64"),
        },
        index=pd.Index(["a", "b", "c", "d"], name="candidate_id"),
    )
    return RuleTable(values, rules, skipped=(_rule("S9", 25),))


def test_an_undecided_criterion_counts_zero_not_last() -> None:
    # a: 35 points decided, S2 undecided; b: at most 22.5 in any run. c and d
    # hold 25 points each at the base weights; d is decided on all of them.
    table = _hand_table()
    rank = rank_candidates(score_candidates(table))
    assert rank.to_dict() == {"a": 1, "d": 2, "c": 3, "b": 4}
    got = weight_sensitivity(table, runs=200, top_k=1, seed=3)
    assert got.loc["a", "topk_share"] == 1.0
    assert (got.loc["a", ["rank_p5", "rank_p95"]] == 1).all()
    assert (got.loc["b", ["rank_p5", "rank_p95"]] == 4).all()
    # without perturbation every run is the scan's own ranking, ties included
    still = weight_sensitivity(table, runs=5, top_k=1, seed=3, spread_share=0.0)
    assert still["rank_p5"].astype(int).to_dict() == rank.astype(int).to_dict()
    assert still["rank_p95"].astype(int).to_dict() == rank.astype(int).to_dict()


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

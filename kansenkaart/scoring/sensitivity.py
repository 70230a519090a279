"""Weight sensitivity: seeded Monte Carlo and leave-one-rule-out."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kansenkaart.rules.engine import RuleTable
from kansenkaart.scoring.score import rank_candidates, score_candidates

__all__ = ["leave_one_rule_out", "weight_sensitivity"]


def weight_sensitivity(
    table: RuleTable,
    *,
    runs: int,
    top_k: int,
    spread_share: float = 0.25,
    seed: int = 0,
) -> pd.DataFrame:
    """Perturb the score weights and record how stable each rank is.

    Each run multiplies every score weight by a factor drawn uniformly from
    ``[1 - spread_share, 1 + spread_share]`` (seeded).

    Returns
    -------
    pandas.DataFrame
        Per scored candidate: ``topk_share`` (share of runs in the top-k),
        ``rank_p5`` and ``rank_p95``.
    """
    base = score_candidates(table)
    scored = base["outcome"] == "scored"
    rules = [r for r in table.rules if r.kind == "score"]
    ids = base.index[scored]
    out = pd.DataFrame(
        index=base.index, columns=["topk_share", "rank_p5", "rank_p95"], dtype="Float64"
    )
    if not rules or not len(ids):
        return out
    values = table.values.loc[ids, [r.id for r in rules]].astype(float).to_numpy()
    w0 = np.array([r.weight for r in rules])
    rng = np.random.default_rng(seed)
    factors = rng.uniform(1 - spread_share, 1 + spread_share, size=(runs, len(rules)))
    order_ids = np.asarray(ids.astype(str))
    ranks = np.empty((runs, len(ids)))
    for i, f in enumerate(factors):  # loop over runs, not over geometries
        w = w0 * f
        s = values @ w / w.sum()
        order = np.lexsort((order_ids, -s))
        r = np.empty(len(ids))
        r[order] = np.arange(1, len(ids) + 1)
        ranks[i] = r
    out.loc[ids, "topk_share"] = (ranks <= top_k).mean(axis=0)
    out.loc[ids, "rank_p5"] = np.percentile(ranks, 5, axis=0)
    out.loc[ids, "rank_p95"] = np.percentile(ranks, 95, axis=0)
    return out


def _top(table: RuleTable, top_k: int) -> set[str]:
    scored = score_candidates(table)
    rank = rank_candidates(scored)
    return set(rank[rank <= top_k].index.astype(str))


def leave_one_rule_out(table: RuleTable, *, top_k: int) -> pd.DataFrame:
    """Drop each rule in turn and measure how much the top-k changes.

    Returns
    -------
    pandas.DataFrame
        One row per rule: ``rule_id``, ``kind``, ``entered_top_k``,
        ``left_top_k`` and ``top_k_overlap_share``.
    """
    base = _top(table, top_k)
    rows = []
    for rule in table.rules:
        if rule.kind == "flag":
            continue
        rest = tuple(r for r in table.rules if r.id != rule.id)
        reduced = RuleTable(table.values.drop(columns=rule.id), rest)
        top = _top(reduced, top_k)
        rows.append(
            {
                "rule_id": rule.id,
                "kind": rule.kind,
                "entered_top_k": len(top - base),
                "left_top_k": len(base - top),
                "top_k_overlap_share": round(len(top & base) / max(len(base), 1), 4),
            }
        )
    frame = pd.DataFrame(
        rows,
        columns=[
            "rule_id",
            "kind",
            "entered_top_k",
            "left_top_k",
            "top_k_overlap_share",
        ],
    )
    return frame.sort_values(
        ["left_top_k", "rule_id"], ascending=[False, True], ignore_index=True
    )

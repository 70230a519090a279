"""Weight sensitivity: seeded Monte Carlo and leave-one-rule-out."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kansenkaart.rules.engine import RuleTable
from kansenkaart.scoring.score import rank_candidates, score_candidates

__all__ = ["leave_one_rule_out", "weight_sensitivity"]


#: Ranks held in memory at once (runs x candidates) while streaming runs.
BLOCK_ENTRIES = 1 << 22


def _factor_blocks(
    seed: int, runs: int, n_rules: int, spread_share: float, block: int
) -> Iterator[np.ndarray]:
    """The seeded weight factors, ``block`` runs at a time (the same stream as
    one draw of ``runs`` rows)."""
    rng = np.random.default_rng(seed)
    for start in range(0, runs, block):
        size = min(block, runs - start)
        yield rng.uniform(1 - spread_share, 1 + spread_share, size=(size, n_rules))


@dataclass(frozen=True)
class _Candidates:
    """What every run needs: per scored candidate the score rules' values
    (undecided as 0) and which were decided, the weights and the ids."""

    values: np.ndarray
    decided: np.ndarray
    w0: np.ndarray
    w_skipped: float
    order_ids: np.ndarray


def _block_ranks(c: _Candidates, factors: np.ndarray) -> np.ndarray:
    """Ranks of every run in ``factors``, ordered as
    :func:`~kansenkaart.scoring.score.rank_candidates` orders them: decided
    points (undecided ones count 0), then the decided share of the weight,
    then id."""
    n = c.values.shape[0]
    ranks = np.empty((len(factors), n), dtype=np.int64)
    for i, f in enumerate(factors):  # loop over runs, not over geometries
        w = c.w0 * f
        total = w.sum() + c.w_skipped
        score = np.round(c.values @ (100.0 * w / total), 6)
        assessed = np.round(c.decided @ w / total, 6)
        order = np.lexsort((c.order_ids, -assessed, -score))
        ranks[i, order] = np.arange(1, n + 1)
    return ranks


def _lerp(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    """Linear interpolation exactly as :func:`numpy.percentile` computes it."""
    diff = b - a
    return np.where(t >= 0.5, b - diff * (1 - t), a + diff * t)


def _percentiles(
    counts: np.ndarray, offsets: np.ndarray, lows: np.ndarray, runs: int, q: float
) -> np.ndarray:
    """Percentile ``q`` per candidate from its rank histogram (numpy's 'linear')."""
    cum = np.cumsum(counts)
    h = (runs - 1) * q / 100
    lo = int(np.floor(h))
    hi = min(lo + 1, runs - 1)
    base = np.arange(len(offsets)) * runs

    def order_stat(k: int) -> np.ndarray:
        pos = np.searchsorted(cum, base + k + 1, side="left")
        return (pos - offsets + lows).astype(float)

    return _lerp(order_stat(lo), order_stat(hi), h - lo)


def _rank_stats(
    c: _Candidates, blocks: Callable[[], Iterator[np.ndarray]], top_k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Stream the runs: rank range and top-k count, then rank histograms (the
    second pass reuses the ranks when all runs fit in one block)."""
    n = c.values.shape[0]
    lows, highs = np.full(n, n + 1), np.zeros(n, dtype=np.int64)
    in_top = np.zeros(n, dtype=np.int64)
    kept: list[np.ndarray] = []  # the ranks, when all runs fit in one block
    for i, factors in enumerate(blocks()):
        ranks = _block_ranks(c, factors)
        lows = np.minimum(lows, ranks.min(axis=0))
        highs = np.maximum(highs, ranks.max(axis=0))
        in_top += (ranks <= top_k).sum(axis=0)
        kept = [ranks] if i == 0 else []
    widths = highs - lows + 1
    offsets = np.concatenate([[0], np.cumsum(widths)[:-1]])
    counts = np.zeros(int(widths.sum()), dtype=np.int64)
    second = kept or (_block_ranks(c, factors) for factors in blocks())
    for ranks in second:
        idx = (offsets + ranks - lows).ravel()
        counts += np.bincount(idx, minlength=len(counts))
    return in_top, counts, offsets, lows


def weight_sensitivity(
    table: RuleTable,
    *,
    runs: int,
    top_k: int,
    spread_share: float = 0.25,
    seed: int = 0,
    block_runs: int | None = None,
) -> pd.DataFrame:
    """Perturb the score weights and record how stable each rank is.

    Each run multiplies every evaluated score weight by a factor drawn
    uniformly from ``[1 - spread_share, 1 + spread_share]`` (seeded) and ranks
    the scored candidates as :func:`~kansenkaart.scoring.score.rank_candidates`
    would with those weights: decided points first (an undecided criterion
    counts 0), then the decided share of the weight, then id. The runs are streamed
    in blocks of ``block_runs`` (by default as many as fit in
    :data:`BLOCK_ENTRIES` ranks), so memory does not grow with ``runs``: each
    candidate keeps a histogram of the ranks it reached, from which the
    percentiles are exact (numpy's linear interpolation). The results do not
    depend on the block size.

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
    if not rules or not len(ids) or runs <= 0:
        return out
    values = table.values.loc[ids, [r.id for r in rules]].astype(float).to_numpy()
    cands = _Candidates(
        values=np.nan_to_num(values, nan=0.0),  # undecided counts 0, as in the score
        decided=(~np.isnan(values)).astype(float),
        w0=np.array([r.weight for r in rules]),
        # skipped score rules are undecided for everybody: their weight stays
        # in the whole (it changes no order) and is not perturbed
        w_skipped=float(sum(r.weight for r in table.skipped if r.kind == "score")),
        order_ids=np.asarray(ids.astype(str)),
    )
    block = max(1, block_runs or BLOCK_ENTRIES // len(ids))

    def blocks() -> Iterator[np.ndarray]:
        return _factor_blocks(seed, runs, len(rules), spread_share, block)

    in_top, counts, offsets, lows = _rank_stats(cands, blocks, top_k)
    out.loc[ids, "topk_share"] = in_top / runs
    out.loc[ids, "rank_p5"] = _percentiles(counts, offsets, lows, runs, 5)
    out.loc[ids, "rank_p95"] = _percentiles(counts, offsets, lows, runs, 95)
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
        reduced = RuleTable(table.values.drop(columns=rule.id), rest, table.skipped)
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

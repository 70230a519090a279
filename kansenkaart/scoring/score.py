"""Outcomes, scores and ranks from a rule table.

Three outcomes are kept apart: *excluded* (a veto holds), *unknown* (no veto
holds but a veto or score rule could not be decided) and *scored* (every
veto and score rule decided). Scores run from 0 to 100: each score rule
contributes ``100 * weight * value / sum(weights)``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kansenkaart.rules.engine import RuleTable

__all__ = ["OUTCOMES", "rank_candidates", "score_candidates"]

OUTCOMES = ("excluded", "scored", "unknown")


def _join_ids(mask: pd.DataFrame) -> pd.Series:
    cols = np.asarray(mask.columns, dtype=object)
    arr = mask.to_numpy(dtype=bool)
    return pd.Series(
        [",".join(cols[row]) for row in arr], index=mask.index, dtype="string"
    )


def score_candidates(
    table: RuleTable, *, weights: dict[str, float] | None = None
) -> pd.DataFrame:
    """Turn a rule table into outcomes, scores and per-rule contributions.

    Parameters
    ----------
    table : RuleTable
        Output of :func:`kansenkaart.rules.engine.evaluate_rules`.
    weights : dict, optional
        Override of score-rule weights by rule id (used for sensitivity).

    Returns
    -------
    pandas.DataFrame
        Indexed like the table: ``outcome``, ``score`` (0-100, null unless
        scored), ``excluded_by``, ``unknown_for`` (comma-separated rule ids)
        and ``pts_<rule id>`` with each score rule's points.
    """
    vals = table.values
    vetoes = [r.id for r in table.rules if r.kind == "veto"]
    scores = [r.id for r in table.rules if r.kind == "score"]
    w = {r.id: r.weight for r in table.rules if r.kind == "score"}
    if weights:
        w.update({k: v for k, v in weights.items() if k in w})
    veto_hit = (
        vals[vetoes].fillna(False).astype(bool)
        if vetoes
        else pd.DataFrame(index=vals.index)
    )
    undecided = vals[vetoes + scores].isna()
    excluded = veto_hit.any(axis=1) if vetoes else pd.Series(False, index=vals.index)
    unknown = ~excluded & undecided.any(axis=1)
    outcome = np.where(excluded, "excluded", np.where(unknown, "unknown", "scored"))
    total = sum(w.values())
    out = pd.DataFrame(index=vals.index)
    out["outcome"] = pd.Series(outcome, index=vals.index, dtype="string")
    points = pd.DataFrame(index=vals.index)
    for rid in scores:
        share = 100.0 * w[rid] / total if total > 0 else 0.0
        points[f"pts_{rid}"] = vals[rid].astype("Float64") * share
    score = (
        points.sum(axis=1, min_count=0).astype("Float64")
        if scores
        else pd.Series(0.0, index=vals.index, dtype="Float64")
    )
    out["score"] = score.round(6).clip(0, 100).where(out["outcome"] == "scored")
    out["excluded_by"] = _join_ids(veto_hit) if vetoes else ""
    out["unknown_for"] = _join_ids(undecided & ~excluded.to_numpy()[:, None])
    return out.join(points)


def rank_candidates(scored: pd.DataFrame, *, by: pd.Series | None = None) -> pd.Series:
    """Rank scored candidates: highest score first, ties broken by id.

    Parameters
    ----------
    scored : pandas.DataFrame
        Output of :func:`score_candidates`, indexed by candidate id.
    by : pandas.Series, optional
        Group labels (e.g. municipality codes); ranks restart per group.

    Returns
    -------
    pandas.Series
        ``Int64`` ranks (1 = best), null for excluded and unknown candidates.
    """
    frame = pd.DataFrame(
        {
            "score": scored["score"].astype("Float64"),
            "id": scored.index.astype(str),
            "group": by.reindex(scored.index).fillna("").astype(str)
            if by is not None
            else "",
        },
        index=scored.index,
    )
    frame = frame[scored["outcome"] == "scored"]
    frame = frame.sort_values(["group", "score", "id"], ascending=[True, False, True])
    frame["rank"] = frame.groupby("group").cumcount() + 1
    return frame["rank"].reindex(scored.index).astype("Int64")

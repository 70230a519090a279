"""The row-by-row scoring and explanation code, kept as a test oracle.

This is the implementation that the vectorised :mod:`kansenkaart.scoring`
replaced (per-row joins, string building through pandas object paths). It is
slow but obviously right; the tests check that the fast code gives exactly
the same frames.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kansenkaart.rules.engine import RuleTable


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


def _fmt(x: float) -> str:
    return f"{x:.1f}".replace(".", ",")


def rule_result_texts(table: RuleTable, scored: pd.DataFrame) -> pd.DataFrame:
    """Short Dutch result per candidate and rule (one column per rule id).

    Vetoes read ``uitgesloten`` / ``voldoet``, flags ``ja`` / ``nee``, score
    rules ``+12,5 van 25 punten``; undecided rules read ``onbekend`` and
    skipped rules ``overgeslagen (laag ontbreekt)``.
    """
    out = pd.DataFrame(index=table.values.index)
    weights = {r.id: r.weight for r in table.rules if r.kind == "score"}
    total = sum(weights.values()) or 1.0
    for rule in table.rules:
        v = table.values[rule.id]
        if rule.kind == "score":
            pts = scored[f"pts_{rule.id}"].astype("Float64")
            full = 100.0 * rule.weight / total
            text = (
                "+"
                + pts.round(1).astype(str).str.replace(".", ",")
                + f" van {_fmt(full)} punten"
            )
        else:
            yes, no = (
                ("uitgesloten", "voldoet") if rule.kind == "veto" else ("ja", "nee")
            )
            text = pd.Series(
                np.where(v.fillna(False).astype(bool), yes, no), index=v.index
            )
        out[rule.id] = text.where(v.notna(), "onbekend").astype("string")
        if table.not_applicable_for is not None and rule.id in table.not_applicable_for:
            skip = table.not_applicable_for[rule.id].to_numpy(dtype=bool)
            out.loc[skip, rule.id] = "n.v.t. (gegevens onbekend)"
    for rule in table.skipped:
        out[rule.id] = pd.Series(
            "overgeslagen (laag ontbreekt)", index=out.index, dtype="string"
        )
    for rule in table.not_applicable:
        out[rule.id] = pd.Series(
            "n.v.t. (ander regime)", index=out.index, dtype="string"
        )
    return out


def _titles(ids: pd.Series, titles: dict[str, str]) -> pd.Series:
    def name(joined: str) -> str:
        return "; ".join(f"{i} ({titles[i]})" for i in joined.split(",") if i)

    uniq = {v: name(v) for v in ids.dropna().unique()}
    return ids.map(uniq)


def _best_worst(scored: pd.DataFrame, table: RuleTable) -> pd.Series:
    score_rules = [r for r in table.rules if r.kind == "score"]
    if not score_rules:
        return pd.Series("", index=scored.index)
    pts = scored[[f"pts_{r.id}" for r in score_rules]].astype(float).to_numpy()
    total = sum(r.weight for r in score_rules) or 1.0
    full = np.array([100.0 * r.weight / total for r in score_rules])
    share = np.nan_to_num(pts / full, nan=0.0)
    best = np.argmax(share, axis=1)
    worst = np.argmin(share, axis=1)
    titles = np.array([r.title for r in score_rules], dtype=object)
    best_pts = np.char.replace(
        np.round(pts[np.arange(len(pts)), best], 1).astype(str), ".", ","
    )
    text = "sterkste punt: " + titles[best] + " (+" + best_pts + ")"
    weak = share[np.arange(len(pts)), worst] < 1.0
    text = np.where(weak, text + ", zwakste: " + titles[worst], text)
    return pd.Series(text, index=scored.index)


def explain_candidates(
    table: RuleTable, scored: pd.DataFrame, rank: pd.Series
) -> pd.Series:
    """One Dutch line per candidate explaining its outcome.

    Returns
    -------
    pandas.Series
        ``reason_nl`` indexed by candidate id.
    """
    titles = {r.id: r.title for r in table.rules}
    flags = [r for r in table.rules if r.kind == "flag"]
    excl = "Uitgesloten door " + _titles(scored["excluded_by"], titles) + "."
    unk = (
        "Onbekend: niet te beoordelen voor "
        + _titles(scored["unknown_for"], titles)
        + " (gegevens ontbreken)."
    )
    score_txt = scored["score"].astype(float).round(1).astype(str).str.replace(".", ",")
    sco = (
        "Score "
        + score_txt
        + " van 100 (rang "
        + rank.astype("string").fillna("-")
        + "); "
        + _best_worst(scored, table)
        + "."
    )
    line = pd.Series(
        np.where(
            scored["outcome"] == "excluded",
            excl,
            np.where(scored["outcome"] == "unknown", unk, sco),
        ),
        index=scored.index,
        dtype="string",
    )
    for flag in flags:
        hit = table.values[flag.id].fillna(False).astype(bool)
        line = line.where(~hit, line + f" Let op: {flag.title}.")
    return line

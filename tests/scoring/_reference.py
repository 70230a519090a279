"""Row-by-row scoring and explanation, kept as the test oracle.

Plain loops over candidates and rules, slow but obviously right; the tests
check that the vectorised :mod:`kansenkaart.scoring` gives exactly the same
frames.

Updated deliberately for the completeness semantics of issue 12 (the earlier
oracle made every undecided score rule "unknown" and let a per-candidate
"n.v.t." pass a veto):

* a veto that holds excludes; an undecided veto (also one whose layer was
  skipped) makes the candidate unknown unless the rule says
  ``on_unknown = "flag"``; everything else is scored, also with undecided
  score rules;
* ``score`` = ``score_min`` = the decided points on the scale of the whole
  weight (skipped score rules included); ``score_max`` adds the undecided
  weight; ``weight_assessed`` is the decided share;
* ranks by ``score_min``, then ``weight_assessed`` (descending), then id;
* Dutch texts without rule ids, vetoes "ja – uitgesloten" / "nee – geen
  belemmering", undecided "niet beoordeeld: ...".
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from kansenkaart.rules.engine import RuleTable


def _fmt(x: float) -> str:
    return f"{x:.1f}".replace(".", ",")


def _tenths(x: float) -> float:
    """Rounded to tenths, half to even (as numpy rounds)."""
    return float(np.rint(x * 10.0)) / 10.0


def _is_na(x: object) -> bool:
    return x is None or x is pd.NA or (isinstance(x, float) and math.isnan(x))


def _yes(v: object) -> bool:
    return v is not None and bool(v)


def _all_rules(table: RuleTable) -> list:
    return [*table.rules, *table.skipped]


def _value(table: RuleTable, rid: str, cid: object) -> object:
    if rid not in table.values.columns:
        return None  # skipped: nothing decided
    v = table.values.at[cid, rid]
    return None if _is_na(v) else v


def score_candidates(
    table: RuleTable, *, weights: dict[str, float] | None = None
) -> pd.DataFrame:
    """Outcome, score interval, weight assessed, ids and points, per row."""
    rules = _all_rules(table)
    w = {r.id: r.weight for r in rules if r.kind == "score"}
    if weights:
        w.update({k: v for k, v in weights.items() if k in w})
    total = sum(w.values())
    vetoes = [r for r in rules if r.kind == "veto"]
    scores = [r.id for r in table.rules if r.kind == "score"]
    listed = (
        [r.id for r in vetoes]
        + scores
        + [r.id for r in table.rules if r.kind == "flag"]
        + [r.id for r in table.skipped if r.kind == "score"]
        + [r.id for r in table.skipped if r.kind == "flag"]
    )
    rows = []
    for cid in table.values.index:
        hits = [r.id for r in vetoes if _yes(_value(table, r.id, cid))]
        excluded = bool(hits)
        blocked = any(
            _value(table, r.id, cid) is None and r.on_unknown == "unknown"
            for r in vetoes
        )
        outcome = "excluded" if excluded else ("unknown" if blocked else "scored")
        decided = 0.0
        for rid in scores:
            decided += 0.0 if _value(table, rid, cid) is None else w[rid]
        assessed = decided / total if total > 0 else 1.0
        pending = [
            rid for rid in listed if not excluded and _value(table, rid, cid) is None
        ]
        rows.append((outcome, assessed, ",".join(hits), ",".join(pending)))
    index = table.values.index
    out = pd.DataFrame(index=index)
    out["outcome"] = pd.Series([r[0] for r in rows], index=index, dtype="string")
    points = pd.DataFrame(index=index)
    for rid in scores:
        share = 100.0 * w[rid] / total if total > 0 else 0.0
        points[f"pts_{rid}"] = table.values[rid].astype("Float64") * share
    summed = (
        points.sum(axis=1, min_count=0).astype("Float64")
        if scores
        else pd.Series(0.0, index=index, dtype="Float64")
    )
    assessed = pd.Series([r[1] for r in rows], index=index, dtype="Float64")
    high = summed + (100.0 * (1.0 - assessed))
    is_scored = out["outcome"] == "scored"
    out["score"] = summed.round(6).clip(0, 100).where(is_scored)
    out["score_min"] = out["score"]
    out["score_max"] = high.round(6).clip(0, 100).where(is_scored)
    out["weight_assessed"] = assessed.round(6)
    out["excluded_by"] = pd.Series([r[2] for r in rows], index=index, dtype="string")
    if not vetoes:
        out["excluded_by"] = ""
    out["unknown_for"] = pd.Series([r[3] for r in rows], index=index, dtype="string")
    return out.join(points)


def rank_candidates(scored: pd.DataFrame, *, by: pd.Series | None = None) -> pd.Series:
    """Rank scored candidates by score_min, weight_assessed (desc), then id."""
    low = "score_min" if "score_min" in scored.columns else "score"
    certain = (
        scored["weight_assessed"].astype("Float64")
        if "weight_assessed" in scored.columns
        else 0.0
    )
    frame = pd.DataFrame(
        {
            "score": scored[low].astype("Float64"),
            "certain": certain,
            "id": scored.index.astype(str),
            "group": by.reindex(scored.index).fillna("").astype(str)
            if by is not None
            else "",
        },
        index=scored.index,
    )
    frame = frame[scored["outcome"] == "scored"]
    frame = frame.sort_values(
        ["group", "score", "certain", "id"], ascending=[True, False, False, True]
    )
    frame["rank"] = frame.groupby("group").cumcount() + 1
    return frame["rank"].reindex(scored.index).astype("Int64")


_LAYERS = {
    "buildings": "gebouwen",
    "parcels": "percelen",
    "zoning": "bestemmingsplannen",
    "natura2000": "Natura 2000",
    "monuments": "monumenten",
    "municipalities": "gemeenten",
    "ownership": "eigendom",
    "vacancy": "leegstand",
    "noise": "geluid",
}


def _result(rule, v: object, pts: object, full: float, outside: bool) -> str:
    if v is None:
        if outside:
            layer = _LAYERS.get(rule.layer or "", rule.layer or "")
            return f"niet beoordeeld: buiten de dekking van de laag {layer}"
        return "niet beoordeeld: gegevens ontbreken"
    if rule.kind == "score":
        return f"+{_fmt(round(float(pts), 1))} punten (van {_fmt(full)})"
    if rule.kind == "veto":
        return "ja – uitgesloten" if v else "nee – geen belemmering"
    return "ja" if v else "nee"


def rule_result_texts(table: RuleTable, scored: pd.DataFrame) -> pd.DataFrame:
    """Short Dutch result per candidate and rule (one column per rule id)."""
    out = pd.DataFrame(index=table.values.index)
    total = sum(r.weight for r in _all_rules(table)) or 1.0
    cover = table.outside_coverage
    for rule in table.rules:
        full = 100.0 * rule.weight / total
        texts = []
        for cid in table.values.index:
            outside = bool(
                cover is not None and rule.id in cover and cover.at[cid, rule.id]
            )
            pts = scored.at[cid, f"pts_{rule.id}"] if rule.kind == "score" else None
            texts.append(_result(rule, _value(table, rule.id, cid), pts, full, outside))
        out[rule.id] = pd.Series(texts, index=out.index, dtype="string")
    for rule in table.skipped:
        out[rule.id] = pd.Series(
            "niet beoordeeld: laag ontbreekt", index=out.index, dtype="string"
        )
    for rule in table.not_applicable:
        out[rule.id] = pd.Series(
            "n.v.t. (ander regime)", index=out.index, dtype="string"
        )
    return out


def _completeness(table: RuleTable, ids: list[str]) -> str:
    score_rules = [r for r in _all_rules(table) if r.kind == "score"]
    total = sum(r.weight for r in score_rules)
    open_rules = [r for r in score_rules if r.id in ids]
    weight = sum(r.weight for r in open_rules)
    share = 1.0 - weight / total if total > 0 else 1.0
    pct = int(np.floor(share * 100 + 0.5))
    done = len(score_rules) - len(open_rules)
    return (
        f"beoordeeld op {done} van {len(score_rules)} criteria "
        f"({pct} % van het gewicht)"
    )


def completeness_texts(table: RuleTable, scored: pd.DataFrame) -> pd.Series:
    """``assessed_nl`` per candidate (null when excluded)."""
    texts = [
        None
        if outcome == "excluded"
        else _completeness(table, [i for i in ids.split(",") if i])
        for outcome, ids in zip(scored["outcome"], scored["unknown_for"], strict=True)
    ]
    return pd.Series(texts, index=scored.index, dtype="string", name="assessed_nl")


def _best_worst(table: RuleTable, row: pd.Series) -> str:
    score_rules = [r for r in table.rules if r.kind == "score"]
    total = sum(r.weight for r in _all_rules(table) if r.kind == "score") or 1.0
    best = worst = None
    for j, rule in enumerate(score_rules):
        pts = row[f"pts_{rule.id}"]
        if _is_na(pts):
            continue
        full = 100.0 * rule.weight / total
        share = float(pts) / full if full else float("nan")
        if math.isnan(share):
            continue
        if best is None or share > best[0]:
            best = (share, j, float(pts), full)
        if worst is None or share < worst[0]:
            worst = (share, j, float(pts), full)
    if best is None:
        return "geen criterium beoordeeld"
    text = (
        f"sterkste punt: {score_rules[best[1]].title} "
        f"(+{_fmt(_tenths(best[2]))} van {_fmt(best[3])})"
    )
    if worst[0] < 1.0 and worst[1] != best[1]:
        text += (
            f"; zwakste punt: {score_rules[worst[1]].title} "
            f"({_fmt(_tenths(worst[2]))} van {_fmt(worst[3])})"
        )
    return text


def explain_candidates(
    table: RuleTable, scored: pd.DataFrame, rank: pd.Series
) -> pd.Series:
    """One Dutch line per candidate explaining its outcome."""
    titles = {r.id: r.title for r in _all_rules(table)}
    flags = [r for r in table.rules if r.kind == "flag"]
    skipped = {r.id for r in table.skipped}
    lines = []
    for cid in scored.index:
        row = scored.loc[cid]

        def names(joined: str) -> str:
            return "; ".join(titles[i] for i in joined.split(",") if i)

        if row["outcome"] == "excluded":
            line = f"Uitgesloten: {names(row['excluded_by'])}."
        elif row["outcome"] == "unknown":
            line = f"Onbekend: niet beoordeeld (gegevens ontbreken): {names(row['unknown_for'])}."
        else:
            low = float(np.round(float(row["score"]), 1))
            high = float(np.round(float(row["score_max"]), 1))
            r = rank.get(cid)
            rank_txt = "-" if _is_na(r) else str(int(r))
            upper = (
                f"hoogstens {_fmt(high)}; "
                if np.rint(high * 10) > np.rint(low * 10)
                else ""
            )
            ids = [i for i in row["unknown_for"].split(",") if i]
            line = (
                f"Score {_fmt(low)} van 100 ({upper}rang {rank_txt}); "
                f"{_completeness(table, ids)}; {_best_worst(table, row)}."
            )
            own = [i for i in ids if i not in skipped]
            if own:
                line += (
                    f" Niet beoordeeld (gegevens ontbreken): {names(','.join(own))}."
                )
            n_skipped = len(ids) - len(own)
            if n_skipped:
                word = "regel" if n_skipped == 1 else "regels"
                line += (
                    " Niet beoordeeld omdat de laag niet is opgegeven: "
                    f"{n_skipped} {word} (voor alle kandidaten)."
                )
        for flag in flags:
            if _yes(_value(table, flag.id, cid)):
                line += f" Let op: {flag.title}."
        lines.append(line)
    return pd.Series(lines, index=scored.index, dtype="string")

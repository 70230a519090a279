"""Outcomes, scores and ranks from a rule table.

Three outcomes are kept apart: *excluded* (a veto holds), *unknown* (no veto
holds but a veto could not be decided and the rule does not say
``on_unknown = "flag"``) and *scored*. Scores run from 0 to 100: each
decided score rule contributes ``100 * weight * value / sum(weights)`` (the
sum over every applicable score rule, decided or not). What is not decided
is never a pass: it is shown as the interval ``score_min`` (undecided rules
count 0; equal to ``score``) to ``score_max`` (they count full) and as
``weight_assessed``, the decided share of the weight.

Everything here is vectorised: texts are built once per distinct value (or
combination of rule ids) and gathered per candidate with :mod:`pyarrow`, so
the cost grows with the number of distinct texts, not with the number of
candidates. The results are exactly those of the plain per-row definitions
(``tests/scoring/_reference.py``, updated with these semantics).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from kansenkaart.rules.engine import RuleTable

__all__ = ["OUTCOMES", "rank_candidates", "score_candidates"]

OUTCOMES = ("excluded", "scored", "unknown")

_MAX_BITS = 62  # combinations of up to this many columns are packed into an int64
_BLOCK = 1 << 15  # rows per block of the vectorised row sums
_MAX_WORKERS = 4  # threads that fill string columns at once

T = TypeVar("T")


def _parallel(jobs: Sequence[Callable[[], T]]) -> list[T]:
    """Run independent jobs in threads, results in order.

    Filling large string columns is bound by writing (and first touching)
    memory; pyarrow and numpy release the GIL, so a few threads help.
    """
    workers = min(len(jobs), os.cpu_count() or 1, _MAX_WORKERS)
    if workers <= 1:
        return [job() for job in jobs]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda job: job(), jobs))


def _wrap(arr: pa.Array | pa.ChunkedArray) -> pd.api.extensions.ExtensionArray:
    """A pyarrow string array as a pandas ``string`` array (no copy)."""
    if arr.type != pa.large_string():
        arr = arr.cast(pa.large_string())
    out = pd.arrays.ArrowStringArray(arr)
    target = pd.StringDtype()
    return out if out.dtype == target else out.astype(target)


def _take(texts: Sequence[str | None] | pa.Array, codes: np.ndarray) -> pa.Array:
    """``texts[codes]`` as a pyarrow ``large_string`` array (``None``: null)."""
    dictionary = (
        texts
        if isinstance(texts, pa.Array)
        else pa.array(list(texts), type=pa.large_string())
    )
    index_type = np.int32 if len(dictionary) < 2**31 else np.int64
    return dictionary.take(pa.array(np.asarray(codes, dtype=index_type)))


def _strings(
    texts: Sequence[str | None] | pa.Array, codes: np.ndarray
) -> pd.api.extensions.ExtensionArray:
    """``texts[codes]`` as a pandas ``string`` array (``None`` texts: NA)."""
    return _wrap(_take(texts, codes))


def _combination_codes(
    columns: Sequence[np.ndarray], n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Code each row's combination of boolean columns.

    Returns
    -------
    codes : numpy.ndarray
        One code per row (``intp``), indexing ``combos``.
    combos : numpy.ndarray
        Boolean ``(n_combinations, n_columns)``: the distinct rows.
    """
    k = len(columns)
    if k > _MAX_BITS:
        uniq, codes = np.unique(np.column_stack(columns), axis=0, return_inverse=True)
        return codes.reshape(-1).astype(np.intp), uniq.astype(bool)
    key = np.zeros(n, dtype=np.int64)
    for j, col in enumerate(columns):
        key |= np.asarray(col, dtype=bool).astype(np.int64) << j
    codes, uniq_keys = pd.factorize(key)
    combos = (np.asarray(uniq_keys)[:, None] >> np.arange(k)) & 1
    return codes.astype(np.intp, copy=False), combos.astype(bool)


def _join_columns(
    names: Sequence[object], columns: Sequence[np.ndarray], n: int
) -> pd.api.extensions.ExtensionArray:
    """Per row, the names of the true columns joined by commas (``string``)."""
    codes, combos = _combination_codes(columns, n)
    cols = np.asarray(names, dtype=object)
    texts = [",".join(cols[row]) for row in combos]
    return _strings(texts, codes)


def _join_ids(mask: pd.DataFrame) -> pd.Series:
    """Per row, the labels of the true columns of ``mask`` joined by commas."""
    columns = [mask.iloc[:, j].to_numpy(dtype=bool) for j in range(mask.shape[1])]
    joined = _join_columns(list(mask.columns), columns, len(mask))
    return pd.Series(joined, index=mask.index, copy=False)


def _row_sum(
    columns: Sequence[pd.api.extensions.ExtensionArray],
) -> pd.arrays.FloatingArray:
    """Row sums of ``Float64`` columns, skipping NA, as ``DataFrame.sum(axis=1)``.

    pandas sums a row of extension columns with Kahan summation in column
    order (``group_sum``); the same steps, vectorised over blocks of rows (that
    stay in cache), give bit-identical results at a fraction of the cost.
    """
    n = len(columns[0])
    values = [arr.to_numpy(dtype=float, na_value=0.0) for arr in columns]
    missing = [np.asarray(arr.isna(), dtype=bool) for arr in columns]
    missing = [m if m.any() else None for m in missing]
    total = np.zeros(n)
    comp = np.zeros(n)
    with np.errstate(invalid="ignore", over="ignore"):
        for lo in range(0, n, _BLOCK):
            hi = min(lo + _BLOCK, n)
            s, c = total[lo:hi], comp[lo:hi]
            for val, miss in zip(values, missing, strict=True):
                y = val[lo:hi] - c
                t = s + y
                new_c = t - s
                new_c -= y
                new_c[~np.isfinite(new_c)] = 0.0  # infinite or overflowed: none
                if miss is None:
                    s[...] = t
                    c[...] = new_c
                else:
                    keep = ~miss[lo:hi]
                    np.copyto(s, t, where=keep)
                    np.copyto(c, new_c, where=keep)
    return pd.arrays.FloatingArray(total, np.isnan(total))


def _score_weights(
    table: RuleTable, weights: dict[str, float] | None
) -> dict[str, float]:
    """Weight of every applicable score rule: evaluated, then skipped ones."""
    rules = [*table.rules, *table.skipped]
    w = {r.id: r.weight for r in rules if r.kind == "score"}
    if weights:
        w.update({k: v for k, v in weights.items() if k in w})
    return w


def _veto_state(
    table: RuleTable, n: int
) -> tuple[list[str], list[np.ndarray], list[np.ndarray], np.ndarray, np.ndarray]:
    """Veto ids, their hits and undecided masks (skipped vetoes: all rows),
    and per row: excluded, blocked (an undecided veto that makes it onbekend).
    """
    vals = table.values
    ids: list[str] = []
    hits: list[np.ndarray] = []
    undecided: list[np.ndarray] = []
    blocked = np.zeros(n, dtype=bool)
    for rule in (*table.rules, *table.skipped):
        if rule.kind != "veto":
            continue
        if rule.id in vals.columns:
            col = vals[rule.id]
            hit = col.fillna(False).astype(bool).to_numpy(dtype=bool)
            und = col.isna().to_numpy(dtype=bool)
        else:  # skipped: the layer is absent, nothing is decided
            hit, und = np.zeros(n, dtype=bool), np.ones(n, dtype=bool)
        ids.append(rule.id)
        hits.append(hit)
        undecided.append(und)
        if rule.on_unknown == "unknown":
            blocked |= und
    excluded = np.zeros(n, dtype=bool)
    for hit in hits:
        excluded |= hit
    return ids, hits, undecided, excluded, blocked


def score_candidates(
    table: RuleTable, *, weights: dict[str, float] | None = None
) -> pd.DataFrame:
    """Turn a rule table into outcomes, scores and per-rule contributions.

    A candidate is *excluded* when a veto holds, *unknown* (onbekend) when no
    veto holds but a veto declared ``on_unknown = "unknown"`` could not be
    decided, and *scored* otherwise. A scored candidate may have undecided
    score rules (data missing, outside a layer's coverage, a skipped layer):
    its ``score`` counts only the decided points, on the 0-100 scale of the
    scan's *whole* weight, so ``score == score_min``; ``score_max`` counts the
    undecided rules as full; ``weight_assessed`` is the decided share of the
    weight.

    Parameters
    ----------
    table : RuleTable
        Output of :func:`kansenkaart.rules.engine.evaluate_rules`.
    weights : dict, optional
        Override of score-rule weights by rule id (used for sensitivity).

    Returns
    -------
    pandas.DataFrame
        Indexed like the table: ``outcome``, ``score``, ``score_min``,
        ``score_max`` (0-100, null unless scored), ``weight_assessed`` (0-1),
        ``excluded_by``, ``unknown_for`` (comma-separated rule ids: every
        undecided rule of a candidate that is not excluded)
        and ``pts_<rule id>`` with each evaluated score rule's points.
    """
    vals = table.values
    index = vals.index
    n = len(index)
    scores = [r.id for r in table.rules if r.kind == "score"]
    w = _score_weights(table, weights)
    vetoes, veto_hit, veto_und, excluded, blocked = _veto_state(table, n)
    unknown = blocked & ~excluded
    total = sum(w.values())
    points = {}
    decided = np.zeros(n)
    score_und = []
    for rid in scores:
        share = 100.0 * w[rid] / total if total > 0 else 0.0
        points[f"pts_{rid}"] = vals[rid].astype("Float64").array * share
        und = vals[rid].isna().to_numpy(dtype=bool)
        score_und.append(und)
        decided += np.where(und, 0.0, w[rid])
    skipped_scores = [r.id for r in table.skipped if r.kind == "score"]
    assessed = decided / total if total > 0 else np.ones(n)
    not_scored = excluded | unknown

    def score() -> tuple[pd.api.extensions.ExtensionArray, ...]:
        # no index: pandas may rebuild a string index's hash table on slicing
        summed = pd.Series(
            _row_sum(list(points.values())) if scores else np.zeros(n),
            dtype="Float64",
            copy=False,
        )
        low = summed.round(6).clip(0, 100).array
        open_pts = pd.array(100.0 * (1.0 - assessed), dtype="Float64")
        high = (summed + open_pts).round(6).clip(0, 100).array
        low[not_scored] = pd.NA
        high[not_scored] = pd.NA
        return low, low.copy(), high

    # codes into ("excluded", "unknown", "scored")
    outcome = np.where(excluded, 0, np.where(unknown, 1, 2))
    flags = [r.id for r in table.rules if r.kind == "flag"]
    flag_und = [vals[rid].isna().to_numpy(dtype=bool) for rid in flags]
    skipped_flags = [r.id for r in table.skipped if r.kind == "flag"]
    pending = [und & ~excluded for und in veto_und + score_und + flag_und]
    pending += [~excluded for _ in skipped_scores + skipped_flags]
    undecided_ids = vetoes + scores + flags + skipped_scores + skipped_flags
    jobs: list[Callable[[], object]] = [
        lambda: _strings(["excluded", "unknown", "scored"], outcome),
        score,
        lambda: _join_columns(vetoes, veto_hit, n) if vetoes else "",
        lambda: _join_columns(undecided_ids, pending, n),
    ]
    done = _parallel(jobs)
    low, same, high = done[1]
    columns = {
        "outcome": done[0],
        "score": low,
        "score_min": same,
        "score_max": high,
        "weight_assessed": pd.array(np.round(assessed, 6), dtype="Float64"),
        "excluded_by": done[2],
        "unknown_for": done[3],
    }
    return pd.DataFrame({**columns, **points}, index=index, copy=False)


def _desc_codes(score: pd.api.extensions.ExtensionArray) -> np.ndarray:
    """Integers ordered like ``score`` descending (NA last); equal scores tie.

    Scores rounded to six decimals map exactly onto integers; other values
    go through the same factorisation as :meth:`pandas.DataFrame.sort_values`.
    """
    values = score.to_numpy(dtype=float, na_value=np.nan)
    na = np.isnan(values)
    finite = values[~na]
    if len(finite):
        with np.errstate(over="ignore", invalid="ignore"):
            micro = np.rint(finite * 1e6)
            small = np.abs(micro).max() < 2**40
        if small and np.array_equal(micro / 1e6, finite):
            steps = micro.astype(np.int64)
            out = np.empty(len(values), dtype=np.int64)
            out[~na] = steps.max() - steps
            out[na] = steps.max() - steps.min() + 1
            return out
    codes, uniques = pd.factorize(score)
    rank = np.empty(len(uniques), dtype=np.int64)
    rank[np.argsort(-uniques.to_numpy(dtype=float), kind="stable")] = np.arange(
        len(uniques)
    )
    out = np.full(len(codes), len(uniques), dtype=np.int64)
    known = codes >= 0
    out[known] = rank[codes[known]]
    return out


def _id_order(ids: pd.Index, rows: np.ndarray) -> np.ndarray | None:
    """Order of ``ids[rows]`` as strings; ``None`` if already increasing."""
    values = ids.array
    if isinstance(values, pd.arrays.ArrowStringArray):  # no copy into objects
        arr = values.__arrow_array__().combine_chunks().cast(pa.large_string())
    else:
        arr = pa.array(ids.astype(str), type=pa.large_string())
    if len(rows) < len(arr):
        arr = arr.take(pa.array(rows))
    if len(arr) < 2 or pc.all(pc.less(arr[:-1], arr[1:])).as_py():
        return None
    return pc.sort_indices(arr).to_numpy()


def rank_candidates(scored: pd.DataFrame, *, by: pd.Series | None = None) -> pd.Series:
    """Rank scored candidates: by ``score_min`` (highest first), then
    ``weight_assessed`` (the more certain first), then id.

    Of two candidates with equal decided points, the one with an undecided
    criterion never ranks above the one that has none.

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
    index = scored.index
    keep = (scored["outcome"] == "scored").to_numpy(dtype=bool, na_value=False)
    rows = np.flatnonzero(keep)
    m = len(rows)
    # order of the kept rows by id: the last tie-breaker
    perm = _id_order(index, rows)
    if perm is not None:
        rows = rows[perm]
    low = "score_min" if "score_min" in scored.columns else "score"
    desc = _desc_codes(scored[low].astype("Float64").array[rows])
    if "weight_assessed" in scored.columns:
        certain = _desc_codes(scored["weight_assessed"].astype("Float64").array[rows])
    else:
        certain = np.zeros(m, dtype=np.int64)
    if by is not None:
        labels = (by if by.index.equals(index) else by.reindex(index)).array
        labels = pd.Series(labels[rows], copy=False).fillna("").astype(str)
        group = pd.factorize(labels, sort=True)[0]
    else:
        group = np.zeros(m, dtype=np.int64)
    pos = np.arange(m, dtype=np.int64)
    order = np.lexsort((pos, certain, desc, group)) if m else pos
    sorted_group = group[order]
    start = np.ones(m, dtype=bool)
    start[1:] = sorted_group[1:] != sorted_group[:-1]
    first = np.maximum.accumulate(np.where(start, pos, 0)) if m else pos
    ranks = np.zeros(len(index), dtype=np.int64)
    ranks[rows[order]] = pos - first + 1
    return pd.Series(
        pd.arrays.IntegerArray(ranks, ~keep), index=index, name="rank", copy=False
    )

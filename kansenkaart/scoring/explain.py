"""Dutch explanations: one readable line and a result text per rule.

Texts are composed once per distinct value (a rounded number of points, a
combination of rule ids, a set of flags) and gathered per candidate; only the
part that differs per candidate (the rank) is joined row by row, in
:mod:`pyarrow`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from kansenkaart.rules.definition import Rule
from kansenkaart.rules.engine import RuleTable
from kansenkaart.scoring.score import (
    _MAX_WORKERS,
    _combination_codes,
    _parallel,
    _take,
    _wrap,
)

__all__ = ["explain_candidates", "rule_result_texts"]

_NAN_BITS = np.array([np.nan]).view(np.int64)[0]
_MIN_BLOCK = 1 << 16  # rows per block of explanation lines built in one thread
_MAX_TENTHS = 1 << 22  # widest range of tenths coded without hashing


def _fmt(x: float) -> str:
    return f"{x:.1f}".replace(".", ",")


def _float_codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes of floats by exact bit pattern (every NaN alike), and the values.

    Values rounded to one decimal (points, scores) are coded through their
    number of tenths, which is cheaper than hashing.
    """
    values = np.ascontiguousarray(values, dtype=np.float64)
    nan = np.isnan(values)
    with np.errstate(invalid="ignore", over="ignore"):
        tenths = np.rint(values * 10.0)
        exact = (tenths / 10.0 == values) | nan
        known = tenths[~nan]
        narrow = len(known) and known.max() - known.min() < _MAX_TENTHS
    if (
        narrow
        and exact.all()
        and not np.signbit(values[values == 0]).any()  # -0.0 would print "-0,0"
    ):
        low = known.min()
        slots = np.where(nan, known.max() - low + 1, tenths - low).astype(np.int64)
        present = np.zeros(int(known.max() - low) + 2, dtype=bool)
        present[slots] = True
        used = np.flatnonzero(present)
        codes = (np.cumsum(present) - 1)[slots]
        uniq = (used + low) / 10.0
        uniq[used == len(present) - 1] = np.nan
        return codes, uniq
    bits = np.where(nan, _NAN_BITS, values.view(np.int64))
    codes, uniq = pd.factorize(bits)
    return codes, np.asarray(uniq, dtype=np.int64).view(np.float64)


def _texts(values: pd.Series | np.ndarray) -> list[str | None]:
    """Strings of a (small) text series, missing values as ``None``."""
    return [None if pd.isna(x) else str(x) for x in list(values)]


def _aligned(series: pd.Series, index: pd.Index) -> pd.Series:
    return series if series.index.equals(index) else series.reindex(index)


def _result_column(
    rule: Rule,
    v: pd.Series,
    pts: pd.Series | None,
    full: float,
    skip: np.ndarray | None,
) -> pa.Array:
    """The result texts of one evaluated rule."""
    if pts is not None:
        rounded = pts.round(1).to_numpy(dtype=float, na_value=np.nan)
        codes, uniq = _float_codes(rounded)
        text = (
            "+"
            + pd.Series(uniq, dtype="Float64").astype(str).str.replace(".", ",")
            + f" van {_fmt(full)} punten"
        )
        texts = _texts(text)
    else:
        yes, no = ("uitgesloten", "voldoet") if rule.kind == "veto" else ("ja", "nee")
        texts = [yes, no]
        codes = np.where(v.fillna(False).astype(bool).to_numpy(dtype=bool), 0, 1)
    unknown, not_applicable = len(texts), len(texts) + 1
    texts += ["onbekend", "n.v.t. (gegevens onbekend)"]
    codes = np.where(v.notna().to_numpy(dtype=bool), codes, unknown)
    if skip is not None:
        codes[skip] = not_applicable
    return _take(texts, codes)


def rule_result_texts(table: RuleTable, scored: pd.DataFrame) -> pd.DataFrame:
    """Short Dutch result per candidate and rule (one column per rule id).

    Vetoes read ``uitgesloten`` / ``voldoet``, flags ``ja`` / ``nee``, score
    rules ``+12,5 van 25 punten``; undecided rules read ``onbekend`` and
    skipped rules ``overgeslagen (laag ontbreekt)``.
    """
    index = table.values.index
    n = len(index)
    weights = {r.id: r.weight for r in table.rules if r.kind == "score"}
    total = sum(weights.values()) or 1.0
    naf = table.not_applicable_for
    jobs: list[Callable[[], pa.Array]] = []
    for rule in table.rules:
        pts = (
            _aligned(scored[f"pts_{rule.id}"].astype("Float64"), index)
            if rule.kind == "score"
            else None
        )
        skip = (
            naf[rule.id].to_numpy(dtype=bool)
            if naf is not None and rule.id in naf
            else None
        )
        full = 100.0 * rule.weight / total
        jobs.append(
            partial(_result_column, rule, table.values[rule.id], pts, full, skip)
        )
    # the same text in every row: one arrow buffer, shared by such columns
    fixed = [(r, "overgeslagen (laag ontbreekt)") for r in table.skipped]
    fixed += [(r, "n.v.t. (ander regime)") for r in table.not_applicable]
    constant = {
        text: len(jobs) + i for i, text in enumerate(dict.fromkeys(t for _, t in fixed))
    }
    jobs += [partial(_take, [text], np.zeros(n, dtype=np.intp)) for text in constant]
    results = _parallel(jobs)
    columns = {rule.id: _wrap(results[i]) for i, rule in enumerate(table.rules)}
    for rule, text in fixed:
        columns[rule.id] = _wrap(results[constant[text]])
    if not columns:
        return pd.DataFrame(index=index)
    return pd.DataFrame(columns, index=index, copy=False)


def _titles(ids: pd.Series, titles: dict[str, str]) -> pd.Series:
    def name(joined: str) -> str:
        return "; ".join(f"{i} ({titles[i]})" for i in joined.split(",") if i)

    uniq = {v: name(v) for v in ids.dropna().unique()}
    return ids.map(uniq)


def _best_worst(
    pts: Sequence[np.ndarray], score_rules: Sequence[Rule], n: int
) -> tuple[np.ndarray, list[str | None]]:
    """Strongest and weakest score rule per row: codes and distinct texts.

    ``pts`` holds the points of each score rule (one array of ``n`` per rule,
    NaN if unknown).
    """
    if not score_rules:
        return np.zeros(n, dtype=np.intp), [""]
    total = sum(r.weight for r in score_rules) or 1.0
    full = [100.0 * r.weight / total for r in score_rules]
    # np.argmax / np.argmin over the rules, one rule (column) at a time
    with np.errstate(invalid="ignore", divide="ignore"):
        share = [np.nan_to_num(p / f, nan=0.0) for p, f in zip(pts, full, strict=True)]
    best = np.zeros(len(share[0]), dtype=np.int64)
    worst = np.zeros(len(share[0]), dtype=np.int64)
    hi, lo, best_pts = share[0], share[0], pts[0]
    for j in range(1, len(share)):
        up, down = share[j] > hi, share[j] < lo
        best[up], worst[down] = j, j
        hi, lo = np.where(up, share[j], hi), np.where(down, share[j], lo)
        best_pts = np.where(up, pts[j], best_pts)
    weak = lo < 1.0
    k = len(score_rules)
    pts_code, pts_uniq = _float_codes(np.round(best_pts, 1))
    key = (pts_code.astype(np.int64) * k + best) * (k + 1) + np.where(weak, worst, k)
    codes, uniq = pd.factorize(key)
    uniq = np.asarray(uniq, dtype=np.int64)
    u_worst = uniq % (k + 1)
    u_best = (uniq // (k + 1)) % k
    u_pts = pts_uniq[uniq // (k + 1) // k]
    titles = np.array([r.title for r in score_rules], dtype=object)
    best_pts = np.char.replace(u_pts.astype(str), ".", ",")
    text = "sterkste punt: " + titles[u_best] + " (+" + best_pts + ")"
    u_weak = u_worst < k
    worst_titles = titles[np.where(u_weak, u_worst, 0)]
    text = np.where(u_weak, text + ", zwakste: " + worst_titles, text)
    return codes, _texts(text)


def _rank_texts(rank: pd.api.extensions.ExtensionArray) -> pa.Array:
    """``rank.astype("string").fillna("-")`` as a pyarrow array."""
    if isinstance(rank.dtype, pd.Int64Dtype):
        values = pa.array(
            rank.to_numpy(dtype=np.int64, na_value=0), mask=np.asarray(rank.isna())
        )
        text = pc.cast(values, pa.large_string())
    else:
        text = pa.array(pd.Series(rank).astype("string").array, type=pa.large_string())
    return pc.fill_null(text, pa.scalar("-", type=pa.large_string()))


class _ScoredParts(NamedTuple):
    """A scored line is ``head[head_code] + rank + tail[tail_code]``."""

    head: pa.Array
    head_code: np.ndarray
    rank: pd.api.extensions.ExtensionArray
    tail: pa.Array
    tail_code: np.ndarray


def _scored_parts(
    table: RuleTable,
    scored: pd.DataFrame,
    rank: pd.Series,
    rows: np.ndarray,
    flags: tuple[np.ndarray, list[str]],
) -> _ScoredParts:
    """``Score … van 100 (rang …); sterkste punt: ….`` (and flags) for ``rows``."""
    every = len(rows) == len(scored)

    def pick(values: np.ndarray) -> np.ndarray:
        return values if every else values[rows]

    score = pd.Series(pick(scored["score"].astype(float).to_numpy())).round(1)
    score_code, score_uniq = _float_codes(score.to_numpy())
    score_txt = pd.Series(score_uniq).astype(str).str.replace(".", ",")
    head = _texts("Score " + score_txt + " van 100 (rang ")
    score_rules = [r for r in table.rules if r.kind == "score"]
    pts = [pick(scored[f"pts_{r.id}"].astype(float).to_numpy()) for r in score_rules]
    bw_code, bw = _best_worst(pts, score_rules, len(rows))
    # the strongest / weakest rule and the flags, combined: few distinct texts
    flag_code, suffix = pick(flags[0]), flags[1]
    key = bw_code.astype(np.int64) * max(len(suffix), 1) + flag_code
    tail_code, tail_key = pd.factorize(key)
    tail = [
        "); " + bw[b] + "." + suffix[f]
        for b, f in zip(
            *np.divmod(np.asarray(tail_key), max(len(suffix), 1)), strict=True
        )
    ]
    return _ScoredParts(
        pa.array(head, type=pa.large_string()),
        score_code,
        rank.array if every else rank.array[rows],
        pa.array(tail, type=pa.large_string()),
        tail_code,
    )


def _lines(
    fixed: pa.Array, codes: np.ndarray, rows: np.ndarray, parts: _ScoredParts | None
) -> pa.ChunkedArray:
    """Every candidate's line: ``fixed[codes]``, or the scored line for ``rows``.

    Built in blocks of rows, in threads: the work is mostly writing the
    strings.
    """
    n = len(codes)
    step = max(_MIN_BLOCK, -(-n // (2 * _MAX_WORKERS)))
    empty = pa.scalar("", type=pa.large_string())

    def block(lo: int, hi: int) -> pa.Array:
        a, b = np.searchsorted(rows, [lo, hi])
        if parts is None or a == b:
            return _take(fixed, codes[lo:hi])
        lines = pc.binary_join_element_wise(
            _take(parts.head, parts.head_code[a:b]),
            _rank_texts(parts.rank[a:b]),
            _take(parts.tail, parts.tail_code[a:b]),
            empty,
        )
        if b - a == hi - lo:
            return lines
        where = codes[lo:hi].copy()
        where[rows[a:b] - lo] = len(fixed) + np.arange(b - a)
        return _take(pa.concat_arrays([fixed, lines]), where)

    blocks = [(lo, min(lo + step, n)) for lo in range(0, n, step)] or [(0, 0)]
    chunks = _parallel([partial(block, lo, hi) for lo, hi in blocks])
    return pa.chunked_array(chunks, type=pa.large_string())


def _value_texts(
    values: pd.Series, fmt: str, titles: dict[str, str]
) -> tuple[np.ndarray, list[str | None]]:
    """Codes of ``values`` (NA: -1) and ``fmt`` filled with their titles."""
    codes, uniq = pd.factorize(values)
    prefix, suffix = fmt.split("{}")
    return codes, _texts(prefix + _titles(pd.Series(uniq), titles) + suffix)


def explain_candidates(
    table: RuleTable, scored: pd.DataFrame, rank: pd.Series
) -> pd.Series:
    """One Dutch line per candidate explaining its outcome.

    Returns
    -------
    pandas.Series
        ``reason_nl`` indexed by candidate id.
    """
    index = scored.index
    n = len(index)
    titles = {r.id: r.title for r in table.rules}
    flags = [r for r in table.rules if r.kind == "flag"]
    outcome = scored["outcome"]
    is_excl = (outcome == "excluded").to_numpy(dtype=bool)
    is_unk = ~is_excl & (outcome == "unknown").to_numpy(dtype=bool)
    is_sco = ~is_excl & ~is_unk

    hits = [
        _aligned(table.values[f.id].fillna(False).astype(bool), index).to_numpy(
            dtype=bool
        )
        for f in flags
    ]
    flag_code, combos = _combination_codes(hits, n)
    suffix = [
        "".join(
            f" Let op: {f.title}." for f, hit in zip(flags, row, strict=True) if hit
        )
        for row in combos
    ]

    # excluded and unknown candidates: a text per distinct (rule ids, flags)
    excl_code, excl = _value_texts(
        scored["excluded_by"], "Uitgesloten door {}.", titles
    )
    unk_code, unk = _value_texts(
        scored["unknown_for"],
        "Onbekend: niet te beoordelen voor {} (gegevens ontbreken).",
        titles,
    )
    base = [*excl, *unk, None, None]  # then: missing ids, scored
    missing, scored_slot = len(base) - 2, len(base) - 1
    base_code = np.where(
        is_excl,
        np.where(excl_code < 0, missing, excl_code),
        np.where(
            is_unk, np.where(unk_code < 0, missing, len(excl) + unk_code), scored_slot
        ),
    )
    key = base_code.astype(np.int64) * max(len(suffix), 1) + flag_code
    codes, uniq = pd.factorize(key)
    uniq = np.asarray(uniq, dtype=np.int64)
    fixed = [
        None if base[b] is None else base[b] + suffix[f]
        for b, f in zip(
            uniq // max(len(suffix), 1), uniq % max(len(suffix), 1), strict=True
        )
    ]

    rows = np.flatnonzero(is_sco)
    parts = (
        _scored_parts(table, scored, _aligned(rank, index), rows, (flag_code, suffix))
        if len(rows)
        else None
    )
    lines = _lines(pa.array(fixed, type=pa.large_string()), codes, rows, parts)
    return pd.Series(_wrap(lines), index=index, copy=False)

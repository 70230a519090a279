"""Dutch explanations: one readable line and a result text per rule.

Texts are composed once per distinct value (a rounded number of points, a
combination of rule ids, a set of flags) and gathered per candidate; only the
part that differs per candidate (the rank) is joined row by row, in
:mod:`pyarrow`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
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

__all__ = [
    "completeness_text",
    "completeness_texts",
    "derived_values_note",
    "explain_candidates",
    "rule_result_texts",
]

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


#: Dutch names of the layers, for "niet beoordeeld: buiten dekking ...".
LAYER_NAMES: dict[str, str] = {
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

#: Result texts (rule columns).
VETO_YES = "ja – uitgesloten"
VETO_NO = "nee – geen belemmering"
NOT_DECIDED = "niet beoordeeld: gegevens ontbreken"
LAYER_ABSENT = "niet beoordeeld: laag ontbreekt"
OTHER_REGIME = "n.v.t. (ander regime)"


def _points(x: float) -> str:
    """``+13,3`` for points (one decimal, Dutch comma)."""
    return "+" + _fmt(x)


def outside_text(rule: Rule) -> str:
    """The result text of a rule outside its layer's coverage."""
    layer = LAYER_NAMES.get(rule.layer or "", rule.layer or "")
    return f"niet beoordeeld: buiten de dekking van de laag {layer}"


def _result_column(
    rule: Rule,
    v: pd.Series,
    pts: pd.Series | None,
    full: float,
    outside: np.ndarray | None,
) -> pa.Array:
    """The result texts of one evaluated rule."""
    if pts is not None:
        rounded = pts.round(1).to_numpy(dtype=float, na_value=np.nan)
        codes, uniq = _float_codes(rounded)
        texts: list[str | None] = [
            None if np.isnan(u) else f"{_points(u)} punten (van {_fmt(full)})"
            for u in uniq
        ]
    else:
        yes, no = (VETO_YES, VETO_NO) if rule.kind == "veto" else ("ja", "nee")
        texts = [yes, no]
        codes = np.where(v.fillna(False).astype(bool).to_numpy(dtype=bool), 0, 1)
    undecided, out_of_cover = len(texts), len(texts) + 1
    texts += [NOT_DECIDED, outside_text(rule)]
    codes = np.where(v.notna().to_numpy(dtype=bool), codes, undecided)
    if outside is not None:
        codes[outside & (codes == undecided)] = out_of_cover
    return _take(texts, codes)


def rule_result_texts(table: RuleTable, scored: pd.DataFrame) -> pd.DataFrame:
    """Short Dutch result per candidate and rule (one column per rule id).

    Vetoes read ``ja – uitgesloten`` / ``nee – geen belemmering``, flags
    ``ja`` / ``nee``, score rules ``+12,5 punten (van 25,0)``; undecided rules
    read ``niet beoordeeld: gegevens ontbreken`` (or ``... buiten de dekking
    van de laag ...``), rules whose layer is absent ``niet beoordeeld: laag
    ontbreekt`` and rules of another legal regime ``n.v.t. (ander regime)``.
    """
    index = table.values.index
    n = len(index)
    weights = {r.id: r.weight for r in (*table.rules, *table.skipped)}
    total = sum(w for r, w in weights.items() if w) or 1.0
    cover = table.outside_coverage
    jobs: list[Callable[[], pa.Array]] = []
    for rule in table.rules:
        pts = (
            _aligned(scored[f"pts_{rule.id}"].astype("Float64"), index)
            if rule.kind == "score"
            else None
        )
        outside = (
            cover[rule.id].to_numpy(dtype=bool)
            if cover is not None and rule.id in cover
            else None
        )
        full = 100.0 * rule.weight / total
        jobs.append(
            partial(_result_column, rule, table.values[rule.id], pts, full, outside)
        )
    # the same text in every row: one arrow buffer, shared by such columns
    fixed = [(r, LAYER_ABSENT) for r in table.skipped]
    fixed += [(r, OTHER_REGIME) for r in table.not_applicable]
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
    """Rule titles (no ids) of comma-joined rule ids, joined by "; "."""

    def name(joined: str) -> str:
        return "; ".join(titles[i] for i in joined.split(",") if i)

    uniq = {v: name(v) for v in ids.dropna().unique()}
    return ids.map(uniq)


def completeness_text(assessed: int, criteria: int, weight_share: float) -> str:
    """``beoordeeld op 3 van 6 criteria (58 % van het gewicht)``."""
    pct = int(np.floor(weight_share * 100 + 0.5))
    return f"beoordeeld op {assessed} van {criteria} criteria ({pct} % van het gewicht)"


def _undecided_texts(
    joined: list[str | None], table: RuleTable
) -> tuple[list[str], list[str]]:
    """Per distinct ``unknown_for`` value: the completeness text and the
    sentence naming the undecided rules (empty when none)."""
    rules = [*table.rules, *table.skipped]
    score_rules = [r for r in rules if r.kind == "score"]
    total = sum(r.weight for r in score_rules)
    titles = {r.id: r.title for r in rules}
    skipped = {r.id for r in table.skipped}
    comp, names = [], []
    for value in joined:
        ids = [i for i in (value or "").split(",") if i]
        open_rules = [r for r in score_rules if r.id in ids]
        weight = sum(r.weight for r in open_rules)
        share = 1.0 - weight / total if total > 0 else 1.0
        comp.append(
            completeness_text(
                len(score_rules) - len(open_rules), len(score_rules), share
            )
        )
        names.append(undecided_sentence(ids, titles, skipped))
    return comp, names


def undecided_sentence(
    ids: list[str], titles: Mapping[str, str], skipped: set[str]
) -> str:
    """The sentence naming a scored candidate's undecided criteria.

    Criteria undecided for this candidate are named; rules whose layer was
    not given at all (the same for every candidate) are only counted, so the
    sentence stays short enough to read aloud.
    """
    own = [titles[i] for i in ids if i not in skipped]
    n_skipped = sum(i in skipped for i in ids)
    text = f" Niet beoordeeld (gegevens ontbreken): {'; '.join(own)}." if own else ""
    if n_skipped:
        rules = "regel" if n_skipped == 1 else "regels"
        text += (
            f" Niet beoordeeld omdat de laag niet is opgegeven: {n_skipped} {rules} "
            "(voor alle kandidaten)."
        )
    return text


def completeness_texts(table: RuleTable, scored: pd.DataFrame) -> pd.Series:
    """``assessed_nl``: "beoordeeld op 3 van 6 criteria (58 % van het
    gewicht)" for every candidate that is not excluded (null if excluded)."""
    codes, uniq = pd.factorize(scored["unknown_for"].fillna(""))
    comp, _ = _undecided_texts(_texts(uniq), table)
    excluded = (scored["outcome"] == "excluded").to_numpy(dtype=bool)
    slots = np.where(excluded | (codes < 0), len(comp), codes)
    text = _take([*comp, None], slots)
    return pd.Series(_wrap(text), index=scored.index, name="assessed_nl", copy=False)


def derived_values_note(reason: pd.Series, cand: pd.DataFrame) -> pd.Series:
    """``reason`` with the values that were derived, not read, named.

    A building whose use comes from the zoning (3DBAG has no BAG uses) gets
    "Functie afgeleid uit de bestemming 'gemengd' (geen BAG-gebruiksdoel)."
    """
    if "use_derived" not in cand.columns or "zoning_group" not in cand.columns:
        return reason
    derived = _aligned(cand["use_derived"], reason.index)
    derived = derived.fillna(False).astype(bool).to_numpy(dtype=bool)
    if not derived.any():
        return reason
    group = _aligned(cand["zoning_group"], reason.index).astype("string")
    note = " Functie afgeleid uit de bestemming '" + group.fillna("?") + "'"
    note = note + " (geen BAG-gebruiksdoel)."
    out = reason.astype("string")
    return out.where(~derived, out + note).rename(reason.name)


def _unique_rows(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(matrix, axis=0, return_inverse=True)`` for an integer matrix.

    The columns are packed into one integer per row (mixed radix, first
    column most significant), so the rows sort in the same order as
    ``axis=0`` sorts them, in a fraction of its time (``axis=0`` sorts a
    structured view: 1 s per call at a million rows); too wide a range falls
    back to ``axis=0``.
    """
    matrix = np.asarray(matrix, dtype=np.int64)
    if not len(matrix):
        return np.unique(matrix, axis=0, return_inverse=True)
    low = matrix.min(axis=0)
    span = matrix.max(axis=0) - low + 1
    if float(np.prod(span.astype(float))) >= 2.0**62:
        return np.unique(matrix, axis=0, return_inverse=True)
    packed = np.zeros(len(matrix), dtype=np.int64)
    for column, lo, size in zip(matrix.T, low, span, strict=True):
        packed = packed * size + (column - lo)
    _, first, inverse = np.unique(packed, return_index=True, return_inverse=True)
    return matrix[first], inverse.reshape(-1)


def _best_worst(
    pts: Sequence[np.ndarray], score_rules: Sequence[Rule], n: int, total: float
) -> tuple[np.ndarray, list[str | None]]:
    """Strongest and weakest *decided* score rule per row: codes and texts.

    ``pts`` holds the points of each score rule (one array of ``n`` per rule,
    NaN if undecided); undecided rules are neither strongest nor weakest.
    ``total`` is the weight of every applicable score rule.
    """
    if not score_rules:
        return np.zeros(n, dtype=np.intp), ["geen criterium beoordeeld"]
    full = np.array([100.0 * r.weight / total for r in score_rules])
    matrix = np.column_stack(pts)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = matrix / full
    none = np.isnan(share).all(axis=1)
    best = np.argmax(np.where(np.isnan(share), -np.inf, share), axis=1)
    worst = np.argmin(np.where(np.isnan(share), np.inf, share), axis=1)
    rows = np.arange(n)
    tenths_best = np.rint(np.nan_to_num(matrix[rows, best]) * 10).astype(np.int64)
    tenths_worst = np.rint(np.nan_to_num(matrix[rows, worst]) * 10).astype(np.int64)
    weak = (share[rows, worst] < 1.0) & (worst != best)
    key = np.column_stack(
        [none, best, tenths_best, np.where(weak, worst, -1), tenths_worst * weak]
    )
    uniq, codes = _unique_rows(key)
    titles = [r.title for r in score_rules]
    texts: list[str | None] = []
    for is_none, b, tb, w, tw in uniq:
        if is_none:
            texts.append("geen criterium beoordeeld")
            continue
        text = f"sterkste punt: {titles[b]} ({_points(tb / 10)} van {_fmt(full[b])})"
        if w >= 0:
            text += f"; zwakste punt: {titles[w]} ({_fmt(tw / 10)} van {_fmt(full[w])})"
        texts.append(text)
    return codes.reshape(-1).astype(np.intp), texts


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
    """``Score … van 100 (hoogstens …; rang …); beoordeeld op …; sterkste
    punt: …. Niet beoordeeld: …. Let op: …`` for ``rows``."""
    every = len(rows) == len(scored)

    def pick(values: np.ndarray) -> np.ndarray:
        return values if every else values[rows]

    low = np.round(pick(scored["score"].astype(float).to_numpy()), 1)
    high = np.round(pick(scored["score_max"].astype(float).to_numpy()), 1)
    pair = np.column_stack([np.rint(low * 10), np.rint(high * 10)]).astype(np.int64)
    uniq_pair, head_code = _unique_rows(pair)
    head = [
        f"Score {_fmt(lo / 10)} van 100 ("
        + (f"hoogstens {_fmt(hi / 10)}; " if hi > lo else "")
        + "rang "
        for lo, hi in uniq_pair
    ]
    score_rules = [r for r in table.rules if r.kind == "score"]
    pts = [pick(scored[f"pts_{r.id}"].astype(float).to_numpy()) for r in score_rules]
    total = sum(r.weight for r in (*table.rules, *table.skipped) if r.kind == "score")
    bw_code, bw = _best_worst(pts, score_rules, len(rows), total or 1.0)
    unk_code, unk_uniq = pd.factorize(pd.Series(pick(scored["unknown_for"].array)))
    comp, names = _undecided_texts(_texts(unk_uniq), table)
    flag_code, suffix = pick(flags[0]), flags[1]
    key = np.column_stack([bw_code, np.maximum(unk_code, 0), flag_code])
    uniq, tail_code = _unique_rows(key)
    tail = [
        f"); {comp[u]}; {bw[b]}.{names[u]}{suffix[f]}"
        if comp
        else f"); {bw[b]}.{suffix[f]}"
        for b, u, f in uniq
    ]
    return _ScoredParts(
        pa.array(head, type=pa.large_string()),
        head_code.reshape(-1).astype(np.intp),
        rank.array if every else rank.array[rows],
        pa.array(tail, type=pa.large_string()),
        tail_code.reshape(-1).astype(np.intp),
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
    titles = {r.id: r.title for r in (*table.rules, *table.skipped)}
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
    excl_code, excl = _value_texts(scored["excluded_by"], "Uitgesloten: {}.", titles)
    unk_code, unk = _value_texts(
        scored["unknown_for"],
        "Onbekend: niet beoordeeld (gegevens ontbreken): {}.",
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

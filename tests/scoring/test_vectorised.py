"""The vectorised scoring gives exactly what the row-by-row code gave.

Random rule tables (nullable values, flags, vetoes with either ``on_unknown``,
skipped and not-applicable rules, values left undecided outside a layer's
coverage, ids in any order) go through both the fast
functions and the reference implementation in ``_reference.py``; frames must
be identical: values, NA, dtypes, index and column order.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from kansenkaart.rules.definition import Rule
from kansenkaart.rules.engine import RuleTable
from kansenkaart.scoring import explain, score
from tests.scoring import _reference as ref

_ID_CHARS = "abAB09-_.é"


def _rule(
    rid: str, kind: str, weight: float = 0.0, on_unknown: str = "unknown"
) -> Rule:
    return Rule(
        id=rid,
        title=f"titel {rid}",
        kind=kind,
        predicate="capacity_units" if kind == "score" else "status_in",
        layer="buildings",
        source="s",
        weight=weight,
        on_unknown=on_unknown,
    )


def _per_row_join(mask: pd.DataFrame) -> pd.Series:
    cols = np.asarray(mask.columns, dtype=object)
    arr = mask.to_numpy(dtype=bool)
    return pd.Series(
        [",".join(cols[row]) for row in arr], index=mask.index, dtype="string"
    )


@st.composite
def bool_frames(draw: st.DrawFn, max_cols: int = 10) -> pd.DataFrame:
    n = draw(st.integers(0, 30))
    k = draw(st.integers(0, max_cols))
    arr = draw(hnp.arrays(bool, (n, k)))
    cols = [f"R-{j}" for j in range(k)]
    return pd.DataFrame(arr, columns=cols, index=[f"c{i}" for i in range(n)])


@settings(max_examples=100, deadline=None)
@given(bool_frames())
def test_join_ids_matches_per_row_join(mask: pd.DataFrame) -> None:
    pd.testing.assert_series_equal(score._join_ids(mask), _per_row_join(mask))


def test_join_ids_many_columns() -> None:
    rng = np.random.default_rng(0)
    mask = pd.DataFrame(
        rng.random((50, 70)) < 0.1, columns=[f"R{j}" for j in range(70)]
    )
    pd.testing.assert_series_equal(score._join_ids(mask), _per_row_join(mask))


@st.composite
def tables(draw: st.DrawFn) -> RuleTable:
    n = draw(st.integers(1, 25))
    if draw(st.booleans()):
        ids: list = draw(
            st.lists(
                st.text(_ID_CHARS, min_size=1, max_size=4),
                min_size=n,
                max_size=n,
                unique=True,
            )
        )
    else:
        ids = draw(st.lists(st.integers(0, 200), min_size=n, max_size=n, unique=True))
    n_veto, n_score, n_flag = (draw(st.integers(0, 3)) for _ in range(3))
    flags = st.one_of(st.none(), st.booleans())
    fracs = st.one_of(st.none(), st.floats(0, 1), st.sampled_from([0.0, 0.5, 1.0]))
    rules, data = [], {}
    on_unknown = st.sampled_from(["unknown", "flag"])
    for i in range(n_veto):
        rules.append(_rule(f"V{i}", "veto", on_unknown=draw(on_unknown)))
        data[f"V{i}"] = pd.array(
            draw(st.lists(flags, min_size=n, max_size=n)), "boolean"
        )
    for i in range(n_score):
        rules.append(_rule(f"S{i}", "score", draw(st.floats(0.1, 50))))
        data[f"S{i}"] = pd.array(
            draw(st.lists(fracs, min_size=n, max_size=n)), "Float64"
        )
    for i in range(n_flag):
        rules.append(_rule(f"F{i}", "flag"))
        data[f"F{i}"] = pd.array(
            draw(st.lists(flags, min_size=n, max_size=n)), "boolean"
        )
    values = pd.DataFrame(data, index=pd.Index(ids, name="candidate_id"))
    skipped = tuple(
        _rule(f"K{i}", "veto", on_unknown=draw(on_unknown))
        for i in range(draw(st.integers(0, 2)))
    )
    skipped += tuple(
        _rule(f"KS{i}", "score", draw(st.floats(0.1, 50)))
        for i in range(draw(st.integers(0, 1)))
    )
    other = tuple(_rule(f"N{i}", "veto") for i in range(draw(st.integers(0, 1))))
    outside = None
    if draw(st.booleans()):  # as the engine leaves them: null outside coverage
        outside = pd.DataFrame(
            {
                r.id: draw(st.lists(st.booleans(), min_size=n, max_size=n))
                for r in rules
            },
            index=values.index,
            dtype=bool,
        )
        for rid in outside.columns:
            values[rid] = values[rid].mask(outside[rid].to_numpy())
    return RuleTable(values, tuple(rules), skipped, other, outside)


def _groups(table: RuleTable, labels: list) -> pd.Series:
    index = table.values.index
    return pd.Series(
        [labels[i % len(labels)] for i in range(len(index))],
        index=index,
        dtype="string",
    )


@settings(max_examples=120, deadline=None)
@given(
    tables(),
    st.lists(st.one_of(st.none(), st.sampled_from(["GM1", "GM02", "GM3"])), min_size=1),
    st.one_of(
        st.none(), st.dictionaries(st.sampled_from(["S0", "S1"]), st.floats(0, 9))
    ),
)
def test_fast_scoring_equals_reference(table: RuleTable, labels, weights) -> None:
    new = score.score_candidates(table, weights=weights)
    old = ref.score_candidates(table, weights=weights)
    pd.testing.assert_frame_equal(new, old, check_exact=True)

    rank = ref.rank_candidates(old)
    pd.testing.assert_series_equal(score.rank_candidates(old), rank, check_exact=True)
    by = _groups(table, labels)
    pd.testing.assert_series_equal(
        score.rank_candidates(old, by=by),
        ref.rank_candidates(old, by=by),
        check_exact=True,
    )

    pd.testing.assert_frame_equal(
        explain.rule_result_texts(table, old),
        ref.rule_result_texts(table, old),
        check_exact=True,
    )
    pd.testing.assert_series_equal(
        explain.explain_candidates(table, old, rank),
        ref.explain_candidates(table, old, rank),
        check_exact=True,
    )
    pd.testing.assert_series_equal(
        explain.completeness_texts(table, old),
        ref.completeness_texts(table, old),
        check_exact=True,
    )


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.none(),
            st.floats(-1e6, 1e6, allow_nan=False),
            st.sampled_from([0.0, -0.0, 1 / 3, 2.5, 100.0]),
        ),
        min_size=1,
        max_size=40,
    ),
    st.randoms(use_true_random=False),
)
def test_rank_of_any_scores_equals_reference(scores: list, rnd) -> None:
    # scores not rounded to six decimals: the general (factorising) path
    n = len(scores)
    ids = [f"k{rnd.randrange(10**6)}-{i}" for i in range(n)]
    outcome = [rnd.choice(["scored", "scored", "excluded"]) for _ in range(n)]
    scored = pd.DataFrame(
        {
            "outcome": pd.array(outcome, dtype="string"),
            "score": pd.array(scores, dtype="Float64"),
        },
        index=pd.Index(ids, name="candidate_id"),
    )
    by = pd.Series([rnd.choice(["a", "b", None]) for _ in range(n)], index=ids)
    pd.testing.assert_series_equal(
        score.rank_candidates(scored), ref.rank_candidates(scored)
    )
    pd.testing.assert_series_equal(
        score.rank_candidates(scored, by=by), ref.rank_candidates(scored, by=by)
    )


@settings(max_examples=100, deadline=None)
@given(
    st.integers(1, 6).flatmap(
        lambda k: st.lists(
            st.lists(
                st.one_of(
                    st.none(),
                    st.floats(allow_nan=False, width=64),
                    st.floats(0, 100),
                ),
                min_size=k,
                max_size=k,
            ),
            min_size=1,
            max_size=30,
        )
    )
)
@example(rows=[[7.976931348623158e307, 1e308, 0.0]])  # overflow, then a value
def test_row_sum_is_bit_identical_to_pandas(rows: list) -> None:
    columns = [
        pd.array([row[j] for row in rows], dtype="Float64") for j in range(len(rows[0]))
    ]
    frame = pd.DataFrame({j: col for j, col in enumerate(columns)})
    with np.errstate(invalid="ignore", over="ignore"):
        expected = frame.sum(axis=1, min_count=0).astype("Float64").array
    got = score._row_sum(columns)
    assert (got.isna() == expected.isna()).all()
    keep = ~np.asarray(expected.isna())
    a = got.to_numpy(dtype=float, na_value=np.nan)[keep]
    b = expected.to_numpy(dtype=float, na_value=np.nan)[keep]
    assert (a.view(np.int64) == b.view(np.int64)).all()


@pytest.mark.parametrize("dtype", ["Int64", "Float64", "string"])
def test_rank_texts_match_pandas(dtype: str) -> None:
    rank = pd.array([1, None, 23, 4567, 0], dtype=dtype)
    expected = pd.Series(rank).astype("string").fillna("-").tolist()
    assert explain._rank_texts(rank).to_pylist() == expected


def test_large_table_equals_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    # enough rows (and small enough blocks) that every path is taken
    monkeypatch.setattr(explain, "_MIN_BLOCK", 256)
    rng = np.random.default_rng(3)
    n = 5000
    rules = (
        _rule("V0", "veto"),
        _rule("V1", "veto"),
        _rule("S0", "score", 2.0),
        _rule("S1", "score", 1.0),
        _rule("F0", "flag"),
    )

    def maybe(values: np.ndarray, dtype: str) -> pd.api.extensions.ExtensionArray:
        arr = pd.array(values, dtype=dtype)
        arr[rng.random(n) < 0.05] = pd.NA
        return arr

    values = pd.DataFrame(
        {
            "V0": maybe(rng.random(n) < 0.1, "boolean"),
            "V1": maybe(rng.random(n) < 0.1, "boolean"),
            "S0": maybe(rng.random(n), "Float64"),
            "S1": maybe(rng.choice([0.0, 0.5, 1.0], n), "Float64"),
            "F0": maybe(rng.random(n) < 0.3, "boolean"),
        },
        index=pd.Index([f"id-{i}" for i in rng.permutation(n)], name="candidate_id"),
    )
    skipped = (_rule("K", "veto", on_unknown="flag"), _rule("KS", "score", 1.0))
    table = RuleTable(values, rules, skipped, (_rule("N", "flag"),))
    old = ref.score_candidates(table)
    pd.testing.assert_frame_equal(score.score_candidates(table), old, check_exact=True)
    rank = ref.rank_candidates(old)
    pd.testing.assert_series_equal(score.rank_candidates(old), rank)
    pd.testing.assert_frame_equal(
        explain.rule_result_texts(table, old), ref.rule_result_texts(table, old)
    )
    pd.testing.assert_series_equal(
        explain.explain_candidates(table, old, rank),
        ref.explain_candidates(table, old, rank),
    )


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.floats(allow_nan=True, allow_infinity=True),
            st.integers(-2000, 2000).map(lambda k: k / 10),
            st.sampled_from([0.0, -0.0, 12.5, np.nan]),
        ),
        max_size=40,
    ),
    st.booleans(),
)
def test_float_codes_group_by_exact_value(values: list, rounded: bool) -> None:
    arr = np.array(values, dtype=float)
    if rounded:
        with np.errstate(over="ignore", invalid="ignore"):
            arr = np.round(arr, 1)
    codes, uniq = explain._float_codes(arr)
    nan_bits = np.array([np.nan]).view(np.int64)[0]
    bits = np.where(np.isnan(arr), nan_bits, arr.view(np.int64))  # NaN alike
    back = uniq[codes]
    assert (np.isnan(back) == np.isnan(arr)).all()
    assert (np.where(np.isnan(back), nan_bits, back.view(np.int64)) == bits).all()
    assert len(set(codes.tolist())) == len(set(bits.tolist()))


@settings(max_examples=80, deadline=None)
@given(
    rows=st.integers(0, 40),
    columns=st.integers(1, 5),
    wide=st.booleans(),
    data=st.data(),
)
def test_unique_rows_as_numpy(rows, columns, wide, data) -> None:
    """The packed unique rows equal ``np.unique(axis=0)``: rows, order, inverse
    (also for ranges too wide to pack, which fall back to it)."""
    bound = 2**40 if wide else 3
    values = data.draw(
        st.lists(
            st.integers(-bound, bound), min_size=rows * columns, max_size=rows * columns
        )
    )
    matrix = np.array(values, dtype=np.int64).reshape(rows, columns)
    want_rows, want_inverse = np.unique(matrix, axis=0, return_inverse=True)
    got_rows, got_inverse = explain._unique_rows(matrix)
    np.testing.assert_array_equal(got_rows, want_rows)
    np.testing.assert_array_equal(got_inverse.reshape(-1), want_inverse.reshape(-1))

"""Invariants of scoring and ranking, on random rule tables (hypothesis)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from kansenkaart.rules.definition import Rule
from kansenkaart.rules.engine import RuleTable
from kansenkaart.scoring.score import rank_candidates, score_candidates

N_VETO, N_SCORE = 3, 3


def _rules(weights: list[float]) -> tuple[Rule, ...]:
    vetoes = [
        Rule(id=f"V{i}", title="v", kind="veto", predicate="status_in", source="s")
        for i in range(N_VETO)
    ]
    scores = [
        Rule(
            id=f"S{i}",
            title="s",
            kind="score",
            predicate="capacity_units",
            source="s",
            weight=w,
        )
        for i, w in enumerate(weights)
    ]
    return (*vetoes, *scores)


@st.composite
def tables(draw: st.DrawFn) -> RuleTable:
    n = draw(st.integers(min_value=1, max_value=30))
    veto = st.one_of(st.none(), st.booleans())
    frac = st.one_of(st.none(), st.floats(0, 1))
    data = {}
    for i in range(N_VETO):
        data[f"V{i}"] = pd.array(
            draw(st.lists(veto, min_size=n, max_size=n)), dtype="boolean"
        )
    for i in range(N_SCORE):
        # only a few distinct values, so that ties occur and must be broken by id
        vals = draw(
            st.lists(
                st.one_of(frac, st.sampled_from([0.0, 0.5, 1.0])),
                min_size=n,
                max_size=n,
            )
        )
        data[f"S{i}"] = pd.array(vals, dtype="Float64")
    index = pd.Index([f"id{i:03d}" for i in range(n)], name="candidate_id")
    weights = draw(st.lists(st.floats(0.1, 50), min_size=N_SCORE, max_size=N_SCORE))
    return RuleTable(pd.DataFrame(data, index=index), _rules(weights))


def _result(table: RuleTable) -> pd.DataFrame:
    scored = score_candidates(table)
    scored["rank"] = rank_candidates(scored)
    return scored


@settings(max_examples=150, deadline=None)
@given(tables(), st.randoms(use_true_random=False))
def test_shuffling_rows_changes_nothing(table: RuleTable, rnd) -> None:
    order = list(table.values.index)
    rnd.shuffle(order)
    shuffled = RuleTable(table.values.loc[order], table.rules)
    a = _result(table)
    b = _result(shuffled).loc[a.index]
    pd.testing.assert_frame_equal(a, b)


@settings(max_examples=150, deadline=None)
@given(tables())
def test_outcomes_partition_and_scores_in_bounds(table: RuleTable) -> None:
    res = _result(table)
    assert len(res) == len(table.values)
    assert res["outcome"].isin(["excluded", "scored", "unknown"]).all()
    scored = res[res["outcome"] == "scored"]
    assert scored["score"].between(0, 100).all()
    assert res.loc[res["outcome"] != "scored", "score"].isna().all()
    assert sorted(scored["rank"].tolist()) == list(range(1, len(scored) + 1))
    # a higher score never ranks lower; equal scores are ordered by id
    ordered = scored.sort_values("rank")
    assert (np.diff(ordered["score"].astype(float).to_numpy()) <= 1e-9).all()


@settings(max_examples=150, deadline=None)
@given(tables(), st.data())
def test_an_added_veto_never_adds_a_scored_candidate(table: RuleTable, data) -> None:
    n = len(table.values)
    extra = pd.array(
        data.draw(
            st.lists(st.one_of(st.none(), st.booleans()), min_size=n, max_size=n)
        ),
        dtype="boolean",
    )
    rule = Rule(id="VX", title="x", kind="veto", predicate="status_in", source="s")
    bigger = RuleTable(table.values.assign(VX=extra), (*table.rules, rule))
    before = set(_result(table).query("outcome == 'scored'").index)
    after = set(_result(bigger).query("outcome == 'scored'").index)
    assert after <= before
    excluded_before = set(_result(table).query("outcome == 'excluded'").index)
    excluded_after = set(_result(bigger).query("outcome == 'excluded'").index)
    assert excluded_before <= excluded_after

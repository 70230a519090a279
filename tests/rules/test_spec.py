"""Predicate specifications: the engines' halo comes from the spec, not from names."""

from __future__ import annotations

import pytest

from kansenkaart.rules.chunks import halo_m
from kansenkaart.rules.definition import Rule
from kansenkaart.rules.predicates import PREDICATES, REQUIRED, PredicateSpec


def _rule(predicate: str, **params: float) -> Rule:
    return Rule(
        id="R", title="t", kind="flag", predicate=predicate, layer="x", params=params
    )


def test_a_metre_parameter_of_a_layer_predicate_must_declare_its_reach() -> None:
    # a new predicate with buffer_m that forgot to say so would have broken
    # fast/Dask equality silently (the halo used parameter names)
    with pytest.raises(ValueError, match="buffer_m"):
        PredicateSpec(output="bool", params={"buffer_m": REQUIRED}, needs_layer=True)
    spec = PredicateSpec(
        output="bool",
        params={"buffer_m": REQUIRED},
        needs_layer=True,
        reach_param="buffer_m",
    )
    assert spec.reach_m({"buffer_m": 250}) == 250.0


def test_halo_is_the_longest_declared_reach(monkeypatch: pytest.MonkeyPatch) -> None:
    from kansenkaart.rules import predicates

    spec = PredicateSpec(
        output="bool",
        params={"buffer_m": 0.0},
        needs_layer=True,
        reach_param="buffer_m",
    )
    monkeypatch.setitem(
        predicates.PREDICATES,
        "near_buffer",
        predicates.Predicate(PREDICATES["intersects_layer"].func, spec),
    )
    rules = [
        _rule("within_distance", distance_m=1000),
        _rule("near_buffer", buffer_m=1500),
        _rule("proximity", full_score_distance_m=5000, zero_score_distance_m=800),
    ]
    assert halo_m(rules) == 1500.0
    assert halo_m([_rule("intersects_layer")]) == 0.0


def test_every_shipped_predicate_has_a_checked_spec() -> None:
    for name, pred in PREDICATES.items():
        assert isinstance(pred.spec, PredicateSpec), name
        assert pred.spec.output in ("bool", "fraction"), name

"""Small cases whose optimum can be worked out by hand."""

from __future__ import annotations

import dataclasses

import pytest

from kansenkaart.errors import ConfigError
from kansenkaart.match import DemandTable, MatchError, Policy, WhatIf, run_match
from kansenkaart.match.read import read_demand
from tests.match.conftest import HAND, site_rows, unit_rows

VALUE = 12_000 / 4  # euro per unit-quarter


def test_a_site_closes_and_the_batch_moves_on(write_inputs, five_years):
    # A: 1 km from the depot, 2026-2027; B: 4 km, 2028-2030 (3 km from A).
    sites, units = write_inputs(
        site_rows(
            {"site_id": "A", "x": 1000, "available_to": "2028-01-01"},
            {"site_id": "B", "x": 4000, "available_from": "2028-01-01"},
        ),
        unit_rows({"batch_id": "B1"}),
    )
    result = run_match(sites, units, five_years, policy=HAND)
    periods = result.plan.periods
    assert list(periods.site_id) == ["A"] * 8 + ["B"] * 12
    moves = result.plan.moves
    assert list(moves.kind) == ["place", "move"]
    assert list(moves.to_site) == ["A", "B"]
    assert moves.distance_km.tolist() == [1.0, 3.0]
    assert "van A (termijn eindigt 2028-01-01) naar B" in moves.explanation_nl[1]
    assert "3,0 km" in moves.explanation_nl[1]
    place = 20 * (20 * 1 + 12_000)
    move = 20 * (6_000 + 20 * 3 + 12_000)
    expected = 20 * 20 * VALUE - place - move - 2 * 100_000
    assert result.summary["solver"]["objective"] == pytest.approx(expected)
    assert result.summary["solver"]["status"] == "Optimal"
    assert result.plan.figures["moves"] == 1
    # preparing the ground per unit is paid with each arrival (2 x 20 units)
    prepped = run_match(
        sites,
        units,
        five_years,
        policy=dataclasses.replace(HAND, prep_eur_per_unit=500),
    )
    assert list(prepped.plan.periods.site_id) == ["A"] * 8 + ["B"] * 12
    assert prepped.summary["solver"]["objective"] == pytest.approx(
        expected - 2 * 20 * 500
    )


def test_two_batches_one_site_houses_the_larger(write_inputs, five_years):
    sites, units = write_inputs(
        site_rows({"site_id": "S", "x": 1000}),
        unit_rows(
            {"batch_id": "A20", "units": 20},
            {"batch_id": "B24", "units": 24, "free_from": "2026-02-01"},
        ),
    )
    result = run_match(sites, units, five_years, policy=HAND)
    on_site = result.plan.periods.query("site_id == 'S'")
    assert set(on_site.batch_id) == {"B24"}
    # B24 is free from February: first whole quarter is 2026-Q2 -> 19 quarters.
    assert len(on_site) == 19
    assert (result.plan.periods.query("batch_id == 'A20'").status == "opslag").all()
    # By hand, the batch that is free first takes the site.
    greedy = result.greedy.periods.query("site_id == 'S'")
    assert set(greedy.batch_id) == {"A20"}
    assert result.plan.figures["objective"] > result.greedy.figures["objective"]
    assert result.plan.figures["units_housed"] == 24


def test_a_unit_type_that_fits_no_site_stays_in_storage(write_inputs, five_years):
    sites, units = write_inputs(
        site_rows({"site_id": "S", "x": 1000, "unit_types": "studio;1-2 kamer"}),
        unit_rows({"batch_id": "F1", "unit_type": "family"}),
    )
    result = run_match(sites, units, five_years, policy=HAND)
    assert result.plan.figures["units_housed"] == 0
    assert (result.plan.periods.status == "opslag").all()
    assert result.plan.moves.empty
    assert result.summary["unused_site_years"] == pytest.approx(5.0)


def test_a_site_too_far_is_not_used(write_inputs, five_years):
    sites, units = write_inputs(
        site_rows(
            {"site_id": "FAR", "x": 70_000, "score": 100},
            {"site_id": "NEAR", "x": 5_000, "score": 40},
        ),
        unit_rows({"batch_id": "B1"}),
    )
    result = run_match(sites, units, five_years, policy=HAND)
    assert set(result.plan.periods.site_id) == {"NEAR"}
    wide = Policy(downtime_months=0, min_stay_years=1, max_distance_km=80)
    result = run_match(sites, units, five_years, policy=wide)
    assert set(result.plan.periods.site_id) == {"FAR"}


def test_hard_demand_that_cannot_be_met_is_explained(
    write_inputs, five_years, tmp_path
):
    sites, units = write_inputs(
        site_rows({"site_id": "S", "x": 1000}),
        unit_rows({"batch_id": "B1", "units": 20}),
    )
    (tmp_path / "demand.csv").write_text("region,units\nKatwijk,25\n", encoding="utf-8")
    demand = read_demand(tmp_path / "demand.csv")
    assert isinstance(demand, DemandTable)
    hard = Policy(downtime_months=0, min_stay_years=1, demand="hard")
    with pytest.raises(MatchError) as err:
        run_match(sites, units, five_years, policy=hard, demand=demand)
    text = str(err.value)
    assert "Katwijk in 2026-Q1: 25 units needed, at most 20 can be housed" in text
    # Soft demand: the same plan, the shortfall reported.
    result = run_match(sites, units, five_years, policy=HAND, demand=demand)
    assert result.summary["unmet_unit_periods"] == pytest.approx(5 * 20)
    assert result.summary["demand"][0] == {
        "region": "Katwijk",
        "target_group": "",
        "period": "2026-Q1",
        "need": 25.0,
        "met": 20.0,
        "unmet": 5.0,
    }


def test_a_fix_outside_the_sites_term_names_site_and_period(write_inputs, five_years):
    sites, units = write_inputs(
        site_rows({"site_id": "A", "x": 1000, "available_to": "2028-01-01"}),
        unit_rows({"batch_id": "B1"}),
    )
    with pytest.raises(ConfigError, match="site A holds no units in 2029-Q2"):
        run_match(
            sites,
            units,
            five_years,
            policy=HAND,
            what_if=WhatIf(fixes=(("B1", "A", "2029-Q2"),)),
        )


def test_fix_and_forbid_answer_session_questions(write_inputs, five_years):
    import pandas as pd

    sites, units = write_inputs(
        site_rows(
            {"site_id": "A", "x": 1000, "score": 90},
            {"site_id": "B", "x": 2000, "score": 10},
        ),
        unit_rows({"batch_id": "B1"}),
    )
    fixed = run_match(
        sites,
        units,
        five_years,
        policy=HAND,
        what_if=WhatIf(fixes=(("B1", "B", "2026-Q1"),)),
    )
    assert fixed.plan.periods.site_id.iloc[0] == "B"
    scored = Policy(downtime_months=0, min_stay_years=1)
    plain = run_match(sites, units, five_years, policy=scored)
    assert set(plain.plan.periods.site_id) == {"A"}
    early = run_match(
        sites,
        units,
        five_years,
        policy=scored,
        what_if=WhatIf(forbid={"A": pd.Timestamp("2029-01-01")}),
    )
    late = early.plan.periods.query("period_start >= '2029-01-01'")
    assert "A" not in set(late.site_id)
    assert (early.plan.periods.status == "op locatie").all()

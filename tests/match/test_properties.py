"""Invariants over random small instances (hypothesis)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kansenkaart.match import BatchTable, Policy, SiteTable, horizon_from, run_match
from kansenkaart.match.solve import check_feasible

HORIZON = horizon_from("2026-01", "2030-01")  # 16 quarters


@st.composite
def instances(draw):
    n_sites = draw(st.integers(1, 4))
    n_batches = draw(st.integers(1, 4))
    quarters = pd.date_range("2025-10-01", "2030-04-01", freq="3MS")
    sites = []
    for k in range(n_sites):
        a = draw(st.integers(0, len(quarters) - 3))
        b = draw(st.integers(a + 1, len(quarters) - 1))
        sites.append({
            "site_id": f"S{k}", "x": draw(st.integers(0, 30)) * 1000.0, "y": 0.0,
            "capacity": draw(st.integers(10, 60)),
            "available_from": quarters[a], "available_to": quarters[b],
            "score": float(draw(st.integers(0, 100))), "region": "R", "province": "",
            "prep_eur": float(draw(st.integers(0, 4)) * 100_000),
            "unit_types": frozenset(draw(st.sets(st.sampled_from(["studio", "family"])))),
            "target_groups": frozenset(),
        })  # fmt: skip
    batches = []
    for k in range(n_batches):
        batches.append({
            "batch_id": f"B{k}", "units": draw(st.integers(5, 40)),
            "unit_type": draw(st.sampled_from(["studio", "family"])), "target_group": "",
            "x": draw(st.integers(0, 30)) * 1000.0, "y": 0.0,
            "free_from": quarters[draw(st.integers(0, 8))], "life_until": pd.NaT,
            "in_storage": draw(st.booleans()), "region": "", "province": "",
            "dismantle_eur": np.nan, "assemble_eur": np.nan,
            "transport_eur_per_km": np.nan,
        })  # fmt: skip
    policy = Policy(
        downtime_months=draw(st.sampled_from([0, 3])),
        min_stay_years=draw(st.sampled_from([0.5, 1.0])),
        value_eur_per_unit_year=draw(st.sampled_from([6_000.0, 30_000.0])),
    )
    return (
        SiteTable(frame=pd.DataFrame(sites), source="random", sha256=""),
        BatchTable(frame=pd.DataFrame(batches), source="random", sha256=""),
        policy,
    )


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_plans_respect_terms_and_capacity_and_beat_greedy(case):
    sites, batches, policy = case
    result = run_match(sites, batches, HORIZON, policy=policy)
    net = result.network
    assert check_feasible(net, result.solution.values) == []
    periods = result.plan.periods.merge(sites.frame, on="site_id", how="inner")
    start = pd.to_datetime(periods.period_start)
    end = start + pd.DateOffset(months=3)
    # never on a site outside its term (empty from available_to on)
    assert (start >= periods.available_from).all()
    assert (end <= periods.available_to).all()
    # never over capacity
    load = periods.groupby(["site_id", "period_start"]).units.sum()
    peak = load.groupby(level=0).max()
    assert (peak <= sites.frame.set_index("site_id").capacity.reindex(peak.index)).all()
    # only unit types the site allows (an empty set allows every type)
    kind = periods.batch_id.map(batches.frame.set_index("batch_id").unit_type)
    allowed = [not t or k in t for t, k in zip(periods.unit_types, kind, strict=True)]
    assert all(allowed)
    # never before a batch is free
    free = batches.frame.set_index("batch_id").free_from
    on = result.plan.periods[result.plan.periods.site_id != ""]
    assert (pd.to_datetime(on.period_start) >= on.batch_id.map(free)).all()
    # the optimum is never worse than the greedy baseline
    assert result.summary["greedy"]["feasible_start"]
    assert result.plan.figures["objective"] >= result.greedy.figures["objective"] - 1e-6


def _seeded_region(seed: int) -> tuple[SiteTable, BatchTable]:
    """A small region as a planner meets it: staggered terms, three unit types."""
    rng = np.random.default_rng(seed)
    quarters = pd.date_range("2026-01-01", periods=24, freq="3MS")
    n_sites, n_batches = 14, 10
    begin = rng.integers(0, 8, n_sites)
    end = np.minimum(begin + rng.integers(4, 17, n_sites), len(quarters) - 1)
    types = ["studio", "1-2 kamer", "gezin"]
    sites = pd.DataFrame({
        "site_id": [f"S{k}" for k in range(n_sites)],
        "x": rng.uniform(0, 30_000, n_sites), "y": rng.uniform(0, 30_000, n_sites),
        "capacity": rng.integers(15, 90, n_sites),
        "available_from": quarters[begin], "available_to": quarters[end],
        "score": rng.uniform(0, 100, n_sites).round(1), "region": "R", "province": "",
        "prep_eur": rng.integers(1, 6, n_sites) * 150_000.0,
        "unit_types": [frozenset() if rng.random() < 0.5
                       else frozenset({types[rng.integers(3)]})
                       for _ in range(n_sites)],
        "target_groups": [frozenset()] * n_sites,
    })  # fmt: skip
    batches = pd.DataFrame({
        "batch_id": [f"B{k}" for k in range(n_batches)],
        "units": rng.integers(15, 50, n_batches),
        "unit_type": [types[k] for k in rng.integers(0, 3, n_batches)],
        "target_group": "",
        "x": rng.uniform(0, 30_000, n_batches), "y": rng.uniform(0, 30_000, n_batches),
        "free_from": quarters[rng.integers(0, 6, n_batches)], "life_until": pd.NaT,
        "in_storage": True, "region": "", "province": "",
        "dismantle_eur": np.nan, "assemble_eur": np.nan,
        "transport_eur_per_km": np.nan,
    })  # fmt: skip
    return (
        SiteTable(frame=sites, source="seeded", sha256=""),
        BatchTable(frame=batches, source="seeded", sha256=""),
    )


def test_the_optimum_beats_the_greedy_baseline_on_seeded_regions():
    horizon = horizon_from("2026-01", "2032-01")
    policy = Policy(min_stay_years=1.0, mip_gap=0.0)
    better = 0
    for seed in range(4):
        sites, batches = _seeded_region(seed)
        result = run_match(sites, batches, horizon, policy=policy)
        opt, base = result.plan.figures, result.greedy.figures
        assert result.summary["solver"]["status"] == "Optimal", seed
        assert result.summary["greedy"]["feasible_start"], seed
        assert check_feasible(result.network, result.solution.values) == []
        # the decoded plan is the solver's objective, and never below greedy
        assert opt["objective"] == pytest.approx(result.solution.objective, rel=1e-9)
        assert opt["objective"] >= base["objective"] - 1e-6, seed
        improvement = result.summary["improvement"]["objective"]
        assert improvement == pytest.approx(opt["objective"] - base["objective"])
        better += opt["objective"] > base["objective"] + 1.0
    assert better >= 2  # on most regions the optimiser finds a better plan

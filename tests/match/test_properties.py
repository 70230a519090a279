"""Invariants over random small instances (hypothesis)."""

from __future__ import annotations

import numpy as np
import pandas as pd
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

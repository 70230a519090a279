"""Run a match: build the network, plan greedily, optimise, compare, summarise."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from kansenkaart._version import __version__
from kansenkaart.match.greedy import greedy_plan
from kansenkaart.match.model import (
    BatchTable,
    DemandTable,
    Horizon,
    Policy,
    SiteTable,
    WhatIf,
)
from kansenkaart.match.network import Network, build_network
from kansenkaart.match.plan import Plan, decode_plan, euro_nl
from kansenkaart.match.solve import MatchError, Solution, check_feasible, solve_network

__all__ = ["MatchResult", "run_match"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class MatchResult:
    """The optimised plan, the greedy baseline and the summary."""

    plan: Plan
    greedy: Plan
    summary: dict[str, Any]
    network: Network
    solution: Solution
    sites: SiteTable


def _demand_table(net: Network, v: np.ndarray) -> list[dict[str, Any]]:
    if not len(net.y_need):
        return []
    met = v[net.y0 :]
    return [
        {
            "region": r,
            "target_group": g,
            "period": net.horizon.label(int(t)),
            "need": float(n),
            "met": round(float(m), 3),
            "unmet": round(float(n - m), 3),
        }
        for r, g, t, n, m in zip(
            net.y_region, net.y_group, net.y_t, net.y_need, met, strict=True
        )
    ]


def _unused_site_years(net: Network, plan: Plan) -> float:
    """Site-years inside the horizon when an available site held no unit."""
    h = net.horizon
    lo = h.first_from(net.sites["available_from"].to_numpy())
    hi = h.last_before(
        np.minimum(net.sites["available_to"].to_numpy().astype("datetime64[D]"), h.end)
    )
    used = plan.periods.loc[
        plan.periods.site_id != "", ["site_id", "period"]
    ].drop_duplicates()
    per_site = used.groupby("site_id").size()
    idle = (
        np.maximum(hi - lo, 0)
        - per_site.reindex(net.sites["site_id"]).fillna(0).to_numpy()
    )
    return round(float(np.maximum(idle, 0).sum()) * h.years_per_period, 3)


def _check_hard_demand(net: Network, v: np.ndarray) -> None:
    if net.policy.demand != "hard" or not len(net.y_need):
        return
    short = net.y_need - v[net.y0 :]
    bad = np.flatnonzero(short > 0.5)
    if not len(bad):
        return
    lines = []
    for k in bad[:5]:
        region, t = net.y_region[k], int(net.y_t[k])
        cap = net.sites.loc[net.sites.region == region, "capacity"].sum()
        lines.append(
            f"{region}{' / ' + net.y_group[k] if net.y_group[k] else ''} in "
            f"{net.horizon.label(t)}: {net.y_need[k]:g} units needed, at most "
            f"{net.y_need[k] - short[k]:g} can be housed "
            f"(sites there: capacity {cap:g})"
        )
    msg = (
        f"the demand cannot be met in {len(bad)} region-period(s) "
        f"(no batch that fits is free, near enough, or no site is open):\n  - "
        + "\n  - ".join(lines)
        + "\nAdd sites or batches, lower the demand, or use --demand-mode soft."
    )
    raise MatchError(msg)


def _figures_line(name: str, fig: dict[str, Any]) -> str:
    return (
        f"{name}: {fig['unit_years_housed']:g} woningjaren, {fig['moves']} "
        f"verhuizingen, kosten {euro_nl(fig['cost_eur'])}"
    )


def run_match(
    sites: SiteTable,
    batches: BatchTable,
    horizon: Horizon,
    *,
    policy: Policy | None = None,
    demand: DemandTable | None = None,
    what_if: WhatIf | None = None,
    progress: Callable[[str], None] | None = None,
) -> MatchResult:
    """Plan which batches go to which sites, when, and where next.

    Parameters
    ----------
    sites, batches : SiteTable, BatchTable
        From :func:`kansenkaart.match.read_sites` / ``sites_from_result`` and
        :func:`kansenkaart.match.read_units`.
    horizon : Horizon
        From :func:`kansenkaart.match.horizon_from`.
    policy : Policy, optional
        Rules and weights (defaults of :class:`Policy`).
    demand : DemandTable, optional
        Units needed per region and period.
    what_if : WhatIf, optional
        ``--fix`` and ``--forbid`` questions.
    progress : callable, optional
        Called with a short Dutch line at every step.

    Returns
    -------
    MatchResult

    Raises
    ------
    ConfigError
        When a fix or forbid cannot hold (naming batch, site and period).
    MatchError
        When hard demand cannot be met (naming region and period) or the
        solver finds no plan in time.
    """
    say = progress or (lambda _text: None)
    policy = policy or Policy()
    say(
        f"netwerk opbouwen: {len(sites.frame)} locaties, {len(batches.frame)} batches, "
        f"{horizon.n} perioden"
    )
    net = build_network(sites, batches, horizon, policy, demand=demand, what_if=what_if)
    say(f"handmatige aanpak (greedy) doorrekenen; model met {net.n_cols:,} variabelen")
    start = greedy_plan(net)
    feasible = not check_feasible(net, start)
    say(f"optimaliseren met HiGHS (maximaal {policy.time_limit_s:g} s)")
    solution = solve_network(
        net, start=start if feasible else None, threads=policy.threads
    )
    _check_hard_demand(net, solution.values)
    plan, greedy = decode_plan(net, solution.values), decode_plan(net, start)
    summary = _summary(
        net, solution, plan, greedy,
        inputs=_inputs(sites, batches, demand), greedy_feasible=feasible,
        attribution=sites.attribution,
    )  # fmt: skip
    say(
        _figures_line("optimaal", plan.figures)
        + "; "
        + _figures_line("greedy", greedy.figures)
    )
    return MatchResult(
        plan=plan,
        greedy=greedy,
        summary=summary,
        network=net,
        solution=solution,
        sites=sites,
    )


def _inputs(
    sites: SiteTable, batches: BatchTable, demand: DemandTable | None
) -> list[dict[str, str]]:
    tables = [("sites", sites), ("units", batches), ("demand", demand)]
    return [
        {"kind": kind, "path": table.source, "sha256": table.sha256}
        for kind, table in tables
        if table is not None
    ]


def _summary(
    net: Network,
    sol: Solution,
    plan: Plan,
    greedy: Plan,
    *,
    inputs: list[dict[str, str]],
    greedy_feasible: bool,
    attribution: tuple[str, ...] = (),
) -> dict[str, Any]:
    opt, base = plan.figures, greedy.figures
    keys = ("units_housed", "unit_years_housed", "cost_eur", "moves", "objective")
    h = net.horizon
    return {
        "match": {
            "package_version": __version__,
            "period": h.period,
            "from": str(h.starts[0]),
            "to": str(h.end),
            "periods": h.n,
            "policy": {k: getattr(net.policy, k) for k in net.policy.__slots__},
        },
        "solver": {
            "name": "HiGHS",
            "status": sol.status,
            "objective": round(sol.objective, 2),
            "bound": round(sol.bound, 2),
            "gap": round(sol.gap, 6),
            "nodes": sol.nodes,
            "columns": net.n_cols,
            "rows": net.n_rows,
            "binaries": int(net.integer.sum()),
        },
        "plan": opt,
        "greedy": {**base, "feasible_start": greedy_feasible},
        "improvement": {k: round(opt[k] - base[k], 2) for k in keys},
        "demand": _demand_table(net, sol.values),
        "unmet_unit_periods": round(
            float(np.sum(net.y_need - sol.values[net.y0 :])), 3
        ),
        "unused_site_years": _unused_site_years(net, plan),
        "inputs": inputs,
        "attribution": list(attribution),
    }

"""Turn a solution vector into a plan: where each batch is, and its moves.

A batch's path through the network is its site chain: the periods on each
site, in storage or under way, and the moves between them, each explained in
a Dutch sentence that can be read aloud in a session.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from kansenkaart.match._arrays import expand_ranges
from kansenkaart.match.network import (
    ARC_KINDS,
    MOVE,
    PLACE,
    STORAGE,
    TO_STORAGE,
    Network,
)

__all__ = ["Plan", "decode_plan", "euro_nl", "km_nl"]

_STATUS = {
    "site": "op locatie",
    "storage": "opslag",
    "transit": "onderweg",
    "not_free": "nog niet vrij",
    "ended": "einde levensduur",
}


def euro_nl(value: float) -> str:
    """Format euros the Dutch way: ``€ 432.000``."""
    return "€ " + f"{round(value):,}".replace(",", ".")


def km_nl(value: float) -> str:
    """Format km the Dutch way: ``6,4 km``."""
    return f"{value:.1f}".replace(".", ",") + " km"


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    """A plan: one row per batch and period, one row per move, and figures."""

    periods: pd.DataFrame
    moves: pd.DataFrame
    figures: dict[str, Any]


def _stays(net: Network, v: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(batch, site, period) for every period a batch stands on a site."""
    taken = np.flatnonzero(
        (v[net.a0 : net.o0] > 0.5) & np.isin(net.arc_kind, (PLACE, MOVE))
    )
    k, t = expand_ranges(net.arc_arr[taken], net.pair_e[net.arc_head[taken]])
    return net.arc_batch[taken][k], net.arc_dst[taken][k], t


def _occupancy(net: Network, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(site index or -1, status code) per lot x period."""
    n_b, n_t = len(net.batches), net.horizon.n
    site = np.full((n_b, n_t), -1)
    b, s, t = _stays(net, v)
    site[b, t] = s
    stored = v[net.z0 : net.a0] > 0.5
    stored &= net.z_t >= net.lot_t0[net.z_batch]
    status = np.full((n_b, n_t), "transit", dtype=object)
    status[net.z_batch[stored], net.z_t[stored]] = "storage"
    status[site >= 0] = "site"
    t = np.arange(n_t)[None, :]
    status[(t < net.lot_t0[:, None]) & (site < 0)] = "not_free"
    status[(t >= net.lot_tend[:, None]) & (site < 0)] = "ended"
    return site, status


def _periods(net: Network, site: np.ndarray, status: np.ndarray) -> pd.DataFrame:
    n_b, n_t = site.shape
    b = np.repeat(np.arange(n_b), n_t)
    t = np.tile(np.arange(n_t), n_b)
    flat = site.ravel()
    ids = net.sites["site_id"].to_numpy(dtype=object)
    return pd.DataFrame(
        {
            "batch_id": net.batches["batch_id"].to_numpy()[b],
            "period_start": pd.to_datetime(net.horizon.starts[t]).strftime("%Y-%m-%d"),
            "site_id": np.where(flat >= 0, ids[np.maximum(flat, 0)], ""),
            "units": net.batches["units"].to_numpy()[b],
            "period": [net.horizon.label(k) for k in t],
            "status": [_STATUS[s] for s in status.ravel()],
            "parent_id": net.batches["parent_id"].to_numpy()[b],
            "unit_type": net.batches["unit_type"].to_numpy()[b],
        }
    )


def _moves(net: Network, v: np.ndarray) -> pd.DataFrame:
    taken = (v[net.a0 : net.o0] > 0.5) & np.isin(
        net.arc_kind, (PLACE, MOVE, TO_STORAGE)
    )
    arcs = np.flatnonzero(taken)
    src, dst = net.arc_src[arcs], net.arc_dst[arcs]
    ids = net.sites["site_id"].to_numpy(dtype=object)
    h = net.horizon
    dep, arr = net.arc_dep[arcs], net.arc_arr[arcs]
    moves = pd.DataFrame(
        {
            "batch_id": net.batches["batch_id"].to_numpy()[net.arc_batch[arcs]],
            "kind": [ARC_KINDS[k] for k in net.arc_kind[arcs]],
            "from_site": np.where(src >= 0, ids[np.maximum(src, 0)], ""),
            "to_site": np.where(dst >= 0, ids[np.maximum(dst, 0)], ""),
            "depart": [h.label(k) if k < h.n else "" for k in dep],
            "arrive": [h.label(k) if k < h.n else "" for k in arr],
            "arrive_date": [str(h.bounds()[min(k, h.n)]) for k in arr],
            "distance_km": np.round(net.arc_km[arcs], 1),
            "cost_eur": np.round(net.arc_cost[arcs], 0),
            "from_i": src,
            "to_i": dst,
            "lot_i": net.arc_batch[arcs],
            "t_i": arr,
            "dep_i": dep,
        }
    )
    moves = moves.sort_values(["batch_id", "t_i", "kind"], kind="stable")
    moves["explanation_nl"] = [_explain(net, row) for row in moves.itertuples()]
    return moves.reset_index(drop=True)


def _site_name(net: Network, s: int) -> str:
    return str(net.sites["site_id"].iloc[s])


def _explain(net: Network, row: Any) -> str:
    batch = net.batches.iloc[row.lot_i]
    who = f"batch {batch.batch_id}, {batch.units} {batch.unit_type}"
    cost = euro_nl(row.cost_eur)
    if row.kind == "to_storage":
        return (
            f"{who}: van {_site_name(net, row.from_i)} naar de opslag, "
            f"vanaf {row.depart}, {km_nl(row.distance_km)}, kosten {cost}"
        )
    if row.kind == "place":
        first = row.dep_i == net.lot_t0[row.lot_i] and not batch.in_storage
        origin = "van de huidige plek (ontmanteld)" if first else "vanuit de opslag"
        return (
            f"{who}: {origin} naar {_site_name(net, row.to_i)}, "
            f"in gebruik vanaf {row.arrive}, {km_nl(row.distance_km)}, kosten {cost}"
        )
    to = pd.Timestamp(net.sites["available_to"].iloc[row.from_i]).date()
    return (
        f"{who}: van {_site_name(net, row.from_i)} (termijn eindigt {to}) naar "
        f"{_site_name(net, row.to_i)}, in gebruik vanaf {row.arrive}, "
        f"{km_nl(row.distance_km)}, kosten {cost}"
    )


def _figures(net: Network, v: np.ndarray, moves: pd.DataFrame) -> dict[str, Any]:
    u = net.batches["units"].to_numpy(float)
    b, _, _ = _stays(net, v)
    unit_periods = float(u[b].sum())
    stored = (v[net.z0 : net.a0] > 0.5) & (net.z_t >= net.lot_t0[net.z_batch])
    idle = float(u[net.z_batch[stored]].sum())
    ypp = net.horizon.years_per_period
    arc_cost = net.arc_cost * (v[net.a0 : net.o0] > 0.5)
    by_kind = {
        k: float(arc_cost[net.arc_kind == i].sum())
        for i, k in ((PLACE, "placing"), (MOVE, "moving"), (TO_STORAGE, "to_storage"))
    }
    by_kind["origin_dismantling"] = float(arc_cost[net.arc_kind == STORAGE].sum())
    opened = v[net.o0 : net.y0] > 0.5
    by_kind["site_preparation"] = float(
        net.sites["prep_eur"].to_numpy(float)[net.open_site[opened]].sum()
    )
    by_kind["storage"] = idle * ypp * net.policy.storage_eur_per_unit_year
    housed_units = np.unique(b)
    return {
        "objective": float(net.cost @ v),
        "unit_periods_housed": unit_periods,
        "unit_years_housed": round(unit_periods * ypp, 3),
        "units_housed": int(u[housed_units].sum()),
        "batches_housed": len(housed_units),
        "idle_unit_years": round(idle * ypp, 3),
        "moves": int((moves["kind"] == "move").sum()),
        "placements": int((moves["kind"] == "place").sum()),
        "sites_used": int(opened.sum()),
        "cost_eur": round(sum(by_kind.values()), 2),
        "cost_by_kind_eur": {k: round(x, 2) for k, x in by_kind.items()},
    }


def decode_plan(net: Network, values: np.ndarray) -> Plan:
    """Return the plan held in a column vector of ``net``.

    Parameters
    ----------
    net : Network
        The match network.
    values : numpy.ndarray
        Column values from the solver or the greedy baseline.

    Returns
    -------
    Plan
        ``periods`` (batch_id, period_start, site_id, units, period, status,
        parent_id, unit_type), ``moves`` (batch_id, kind, from_site, to_site,
        depart, arrive, arrive_date, distance_km, cost_eur, explanation_nl)
        and ``figures``.
    """
    site, status = _occupancy(net, values)
    periods = _periods(net, site, status)
    moves = _moves(net, values)
    return Plan(periods=periods, moves=moves, figures=_figures(net, values, moves))

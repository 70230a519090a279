"""Build the time-expanded network of a match as one sparse MILP.

Every batch (or lot, when splitting) gets its own layer of the network:

* a *stint* node per (batch, site) pair where unit type, target group,
  capacity, distance, region limit and time allow it, and a storage node per
  period; the layer starts with one unit of flow in the storage node of the
  period before the batch is free;
* arcs: *stay in storage*; *place* from storage onto a site (arriving after
  the downtime, at events only: when the batch can first use the site, or
  right after another of its terms has ended); *move* directly from a site
  whose term ends to one of its nearest sites; *to storage* when a term ends;
* a batch stays on a site until the term there ends (or its life, or the
  horizon): sites are empty from the day their term ends, and arrivals
  leave at least the minimum stay. Arrivals are binary, so each batch
  follows exactly one path: its site chain.

Shared rows: capacity of each site before each end of a stay there,
against a binary *open* per site (with its preparation cost); and demand per
(region, target group, period). The objective maximises the value of
unit-periods housed (against demand, partly weighted by the site score)
minus the costs of moves, storage and site preparation.

Index arrays are built with numpy for all batches at once; the only Python
loop is over batches when picking each site's nearest neighbours for moves
(at most ``max_sites_per_batch`` sites per batch), in :mod:`._builder`.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kansenkaart.errors import ConfigError
from kansenkaart.match._arrays import expand_ranges, pairwise_km
from kansenkaart.match._builder import (
    MOVE,
    PLACE,
    ROW_FIX,
    STORAGE,
    TO_STORAGE,
    Builder,
)
from kansenkaart.match.model import (
    PERIOD_MONTHS,
    BatchTable,
    DemandTable,
    Horizon,
    Policy,
    SiteTable,
    WhatIf,
)

__all__ = [
    "ARC_KINDS",
    "MOVE",
    "PLACE",
    "STORAGE",
    "TO_STORAGE",
    "Network",
    "build_network",
    "split_batches",
]

logger = logging.getLogger(__name__)

#: Arc kinds by their number in ``Network.arc_kind``.
ARC_KINDS = {TO_STORAGE: "to_storage", STORAGE: "storage", PLACE: "place", MOVE: "move"}


@dataclass(slots=True, kw_only=True)
class Network:
    """The MILP (columns, rows in triplets) and what each column means.

    Columns: stint nodes (one per batch-site pair), storage nodes (the first
    of each batch is its source), arcs, open (one per usable site), met (one
    per demand cell). Arcs carry their batch, from-site and to-site (-1 for
    storage or depot), the first period off the old place (``dep``) and the
    first period at the new one (``arr``).
    """

    horizon: Horizon
    policy: Policy
    sites: pd.DataFrame
    batches: pd.DataFrame
    pair_batch: np.ndarray
    pair_site: np.ndarray
    pair_a: np.ndarray  # first period the batch could stand there
    pair_e: np.ndarray  # one past the last: term end, life end or horizon
    z_batch: np.ndarray
    z_t: np.ndarray
    arc_kind: np.ndarray
    arc_tail: np.ndarray
    arc_head: np.ndarray
    arc_cost: np.ndarray
    arc_km: np.ndarray
    arc_batch: np.ndarray
    arc_src: np.ndarray
    arc_dst: np.ndarray
    arc_dep: np.ndarray
    arc_arr: np.ndarray
    open_site: np.ndarray
    y_region: np.ndarray
    y_group: np.ndarray
    y_t: np.ndarray
    y_need: np.ndarray
    cost: np.ndarray  # objective per column, to maximise
    lower: np.ndarray
    upper: np.ndarray
    integer: np.ndarray
    rows: np.ndarray
    cols: np.ndarray
    vals: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    row_kind: np.ndarray  # 0 flow, 1 capacity, 2 open, 3 fix, 4 demand
    hard_penalty: float
    min_stay: int
    downtime: int
    lot_t0: np.ndarray  # first period each lot is free
    lot_tend: np.ndarray  # one past its last period (life end or horizon)

    @property
    def n_p(self) -> int:
        """Number of stint nodes."""
        return len(self.pair_batch)

    @property
    def z0(self) -> int:
        """First storage column."""
        return self.n_p

    @property
    def a0(self) -> int:
        """First arc column."""
        return self.n_p + len(self.z_batch)

    @property
    def o0(self) -> int:
        """First open column."""
        return self.a0 + len(self.arc_kind)

    @property
    def y0(self) -> int:
        """First demand column."""
        return self.o0 + len(self.open_site)

    @property
    def n_cols(self) -> int:
        """Number of columns."""
        return len(self.cost)

    @property
    def n_rows(self) -> int:
        """Number of rows."""
        return len(self.row_lower)


def split_batches(batches: pd.DataFrame, policy: Policy) -> pd.DataFrame:
    """Return the batches, split into near-equal lots when the policy allows.

    A batch of ``u`` units becomes ``u // min_group_units`` lots (each at
    least ``min_group_units``); lots are named ``B1/1``, ``B1/2``, … and keep
    ``parent_id``. Without splitting every batch is its own lot.
    """
    frame = batches.copy()
    frame["parent_id"] = frame["batch_id"]
    if not policy.split:
        return frame.reset_index(drop=True)
    lots = np.maximum(frame["units"].to_numpy() // policy.min_group_units, 1)
    rows = np.repeat(np.arange(len(frame)), lots)
    out = frame.iloc[rows].reset_index(drop=True)
    k = expand_ranges(np.zeros(len(lots), dtype=int), lots)[1]
    n = lots[rows]
    units = frame["units"].to_numpy()[rows]
    out["units"] = units // n + (k < units % n)
    many = n > 1
    out.loc[many, "batch_id"] = (
        out.loc[many, "parent_id"] + "/" + (k[many] + 1).astype(str)
    )
    return out


def _site_windows(
    sites: pd.DataFrame, h: Horizon, what_if: WhatIf
) -> tuple[np.ndarray, np.ndarray]:
    """First and one-past-last period each site may hold units (open ends past T)."""
    lo = h.first_from(sites["available_from"].to_numpy())
    to = sites["available_to"].to_numpy().astype("datetime64[D]")
    hi = np.searchsorted(h.bounds(), to, "right") - 1
    hi = np.where(to > h.end, 10**6, hi)  # open past the horizon
    for site_id, date in what_if.forbid.items():
        idx = np.flatnonzero(sites["site_id"].to_numpy() == site_id)
        if not len(idx):
            msg = f"--forbid {site_id}: no site with this id in the sites file."
            raise ConfigError(msg)
        stop = lo[idx] if pd.isna(date) else h.last_before(np.array([date]))
        hi[idx] = np.minimum(hi[idx], stop)
    return lo, hi


def _batch_times(batches: pd.DataFrame, h: Horizon) -> tuple[np.ndarray, np.ndarray]:
    t0 = h.first_from(batches["free_from"].to_numpy())
    life = batches["life_until"].to_numpy().astype("datetime64[D]")
    tend = np.where(
        np.isnat(life), h.n, h.last_before(np.where(np.isnat(life), h.end, life))
    )
    return t0, np.minimum(tend, h.n)


def _levels(sites: pd.DataFrame, batches: pd.DataFrame) -> np.ndarray:
    """0 own region, 1 own province, 2 elsewhere (0 when the batch's is unknown)."""
    b_reg = batches["region"].to_numpy()[:, None]
    b_prov = batches["province"].to_numpy()[:, None]
    same_region = (b_reg == sites["region"].to_numpy()[None, :]) | (b_reg == "")
    same_prov = (b_prov == sites["province"].to_numpy()[None, :]) | (b_prov == "")
    return np.where(same_region, 0, np.where(same_prov, 1, 2))


def _fits(sites: pd.DataFrame, batches: pd.DataFrame) -> np.ndarray:
    """Boolean batch x site: unit type and target group allowed, capacity enough."""

    def allowed(site_sets: pd.Series, values: pd.Series) -> np.ndarray:
        codes, names = pd.factorize(values)
        table = np.array(
            [[not s or n in s for n in names] for s in site_sets], dtype=bool
        )
        return (
            table[:, codes].T
            if len(names)
            else np.ones((len(values), len(site_sets)), bool)
        )

    ok = allowed(sites["unit_types"], batches["unit_type"])
    ok &= allowed(sites["target_groups"], batches["target_group"])
    return ok & (
        batches["units"].to_numpy()[:, None] <= sites["capacity"].to_numpy()[None, :]
    )


@dataclass(slots=True)
class _Frame:
    """Per-batch and per-site arrays shared by the build steps."""

    u: np.ndarray
    t0: np.ndarray
    tend: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    km_depot: np.ndarray  # batch x site
    level: np.ndarray  # batch x site
    m: int
    d: int


def _pairs(
    sites: pd.DataFrame, batches: pd.DataFrame, f: _Frame, policy: Policy, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Candidate (batch, site) pairs: fitting, near enough, usable in time."""
    ok = _fits(sites, batches) & (f.km_depot <= policy.max_distance_km)
    ok &= f.level <= ("region", "province", "nation").index(policy.max_level)
    long_enough = (f.hi - f.lo >= f.m) | (f.hi >= n)
    ok &= long_enough[None, :]
    first = np.maximum(f.lo[None, :], f.t0[:, None] + f.d)
    last = np.minimum(f.hi[None, :], f.tend[:, None])
    ok &= first < last
    dist = np.where(ok, f.km_depot, np.inf)
    k = min(policy.max_sites_per_batch, dist.shape[1])
    nearest = np.argsort(dist, axis=1, kind="stable")[:, :k]
    keep = np.isfinite(np.take_along_axis(dist, nearest, axis=1))
    pb = np.repeat(np.arange(len(batches)), k).reshape(-1, k)[keep]
    ps = nearest[keep]
    order = np.lexsort((ps, pb))
    return pb[order], ps[order]


def build_network(
    sites: SiteTable,
    batches: BatchTable,
    horizon: Horizon,
    policy: Policy,
    *,
    demand: DemandTable | None = None,
    what_if: WhatIf | None = None,
) -> Network:
    """Build the MILP of a match.

    Parameters
    ----------
    sites, batches : SiteTable, BatchTable
        Validated inputs (RD New coordinates).
    horizon : Horizon
        Planning periods.
    policy : Policy
        Rules and weights.
    demand : DemandTable, optional
        Units needed per region and period; without it every housed
        unit-period counts.
    what_if : WhatIf, optional
        Fixed placements and forbidden sites.

    Returns
    -------
    Network

    Raises
    ------
    ConfigError
        When a fix or forbid names an unknown batch or site, or a fix cannot
        hold (site closed, batch not free, unit type does not fit, …).
    """
    what_if = what_if or WhatIf()
    s_frame = sites.frame.reset_index(drop=True)
    b_frame = split_batches(batches.frame, policy)
    h = horizon
    lo, hi = _site_windows(s_frame, h, what_if)
    t0, tend = _batch_times(b_frame, h)
    per_year = 12 / PERIOD_MONTHS[h.period]
    f = _Frame(
        u=b_frame["units"].to_numpy().astype(float),
        t0=t0,
        tend=tend,
        lo=lo,
        hi=hi,
        km_depot=pairwise_km(
            b_frame.x.to_numpy(),
            b_frame.y.to_numpy(),
            s_frame.x.to_numpy(),
            s_frame.y.to_numpy(),
        ),
        level=_levels(s_frame, b_frame),
        m=max(1, math.ceil(policy.min_stay_years * per_year - 1e-9)),
        d=math.ceil(policy.downtime_months / PERIOD_MONTHS[h.period] - 1e-9),
    )
    pb, ps = _pairs(s_frame, b_frame, f, policy, h.n)
    builder = Builder(s_frame, b_frame, h, policy, f)
    builder.nodes(pb, ps)
    builder.arcs()
    builder.flow_rows()
    builder.site_rows()
    _fix_rows(builder, what_if)
    builder.demand_cells(demand)
    builder.demand_rows()
    net = _finish(builder)
    logger.info(
        "network: %d lots, %d sites, %d periods -> %d columns (%d binary), %d rows",
        len(b_frame),
        len(s_frame),
        h.n,
        net.n_cols,
        int(net.integer.sum()),
        net.n_rows,
    )
    return net


def _finish(bd: Builder) -> Network:
    """Bounds, integrality and the Network from a filled builder."""
    cost, penalty = bd.objective()
    n_z, n_o, n_y = len(bd.zb), len(bd.open_site), len(bd.cells)
    lower, upper = np.zeros(len(cost)), np.ones(len(cost))
    lower[bd.n_p + np.flatnonzero(bd.zt == bd.f.t0[bd.zb] - 1)] = 1.0  # sources
    upper[len(cost) - n_y :] = bd.cells["need"].to_numpy(dtype=float)
    # Only arrivals and open sites are binary: with them integral, every node
    # and every storage arc is integral by flow conservation.
    arrivals = np.isin(bd.arc["kind"], (PLACE, MOVE))
    integer = np.r_[np.zeros(bd.n_p + n_z, bool), arrivals, np.ones(n_o, bool),
                    np.zeros(n_y, bool)]  # fmt: skip
    lows, ups = zip(*bd.row_bounds, strict=True)
    a = bd.arc
    return Network(
        horizon=bd.h, policy=bd.p, sites=bd.s, batches=bd.b,
        pair_batch=bd.pb, pair_site=bd.ps, pair_a=bd.a_p, pair_e=bd.e_p,
        z_batch=bd.zb, z_t=bd.zt,
        arc_kind=a["kind"], arc_tail=a["tail"], arc_head=a["head"],
        arc_cost=a["cost"], arc_km=a["km"], arc_batch=a["batch"], arc_src=a["src"],
        arc_dst=a["dst"], arc_dep=a["dep"], arc_arr=a["arr"],
        open_site=bd.open_site,
        y_region=bd.cells["region"].to_numpy(dtype=object),
        y_group=bd.cells["target_group"].to_numpy(dtype=object),
        y_t=bd.cells["t"].to_numpy(dtype=np.int64),
        y_need=bd.cells["need"].to_numpy(dtype=float),
        cost=cost, lower=lower, upper=upper, integer=integer,
        rows=np.concatenate(bd.rows), cols=np.concatenate(bd.cols),
        vals=np.concatenate(bd.vals), row_lower=np.concatenate(lows),
        row_upper=np.concatenate(ups), row_kind=np.concatenate(bd.row_kind),
        hard_penalty=penalty, min_stay=bd.f.m, downtime=bd.f.d,
        lot_t0=bd.f.t0, lot_tend=bd.f.tend,
    )  # fmt: skip


def period_index(h: Horizon, text: str, *, option: str) -> int:
    """Return the period holding ``text`` (``2031-Q2``, ``2031-05`` or a date)."""
    text = str(text).strip()
    if len(text) == 7 and text[4:6].upper() == "-Q" and text[6] in "1234":
        day = pd.Timestamp(year=int(text[:4]), month=3 * int(text[6]) - 2, day=1)
    else:
        try:
            day = pd.Timestamp(text)
        except ValueError as err:
            msg = (
                f"{option}: {text!r} is not a period; write 2031-Q2, 2031-05 "
                "or 2031-05-01."
            )
            raise ConfigError(msg) from err
    t = int(np.searchsorted(h.starts, np.datetime64(day.date(), "D"), "right")) - 1
    if t < 0 or np.datetime64(day.date(), "D") >= h.end:
        msg = (
            f"{option}: {text} lies outside the planning horizon "
            f"{h.label(0)}–{h.label(h.n - 1)}."
        )
        raise ConfigError(msg)
    return t


def _why_not(bd: Builder, b: int, s: int, t: int) -> str:
    f, policy = bd.f, bd.p
    site, batch, h = bd.s.iloc[s], bd.b.iloc[b], bd.h
    fits = _fits(bd.s.iloc[[s]], bd.b.iloc[[b]])[0, 0]
    reasons = [
        (
            t < f.lo[s] or t >= f.hi[s],
            f"site {site.site_id} holds no units in {h.label(t)} "
            "(its term, or --forbid)",
        ),
        (
            t < f.t0[b] + f.d,
            f"batch {batch.batch_id} is free from "
            f"{pd.Timestamp(batch.free_from).date()} and a move takes {f.d} period(s)",
        ),
        (t >= f.tend[b], f"batch {batch.batch_id} is past its technical life"),
        (
            not fits,
            f"{batch.unit_type}/{batch.target_group or '-'} units "
            f"({batch.units}) do not fit site {site.site_id} (unit types, "
            f"target groups or capacity {site.capacity})",
        ),
        (
            f.km_depot[b, s] > policy.max_distance_km,
            f"site {site.site_id} lies {f.km_depot[b, s]:.1f} km away, beyond "
            f"max_distance_km {policy.max_distance_km:g}",
        ),
    ]
    for bad, text in reasons:
        if bad:
            return text
    return (
        f"the site's remaining term is shorter than the minimum stay, or it is "
        f"not among the batch's {policy.max_sites_per_batch} nearest sites"
    )


def _fix_rows(bd: Builder, what_if: WhatIf) -> None:
    """One row per fix: the batch has arrived on the site by then (and stays)."""
    lot_ids = bd.b["batch_id"].to_numpy()
    site_ids = bd.s["site_id"].to_numpy()
    fixed_units: dict[tuple[int, int], float] = {}
    arrivals = bd.arrivals()
    for batch_id, site_id, when in what_if.fixes:
        option = f"--fix {batch_id}={site_id}@{when}"
        b, s = np.flatnonzero(lot_ids == batch_id), np.flatnonzero(site_ids == site_id)
        if not len(b) or not len(s):
            what = "batch (or lot)" if not len(b) else "site"
            msg = f"{option}: no {what} with this id in the input."
            raise ConfigError(msg)
        b, s = int(b[0]), int(s[0])
        t = period_index(bd.h, when, option=option)
        p = np.flatnonzero((bd.pb == b) & (bd.ps == s))
        head = bd.arc["head"][arrivals]
        by_then = arrivals[np.isin(head, p) & (bd.arc["arr"][arrivals] <= t)]
        if not len(p) or not len(by_then) or t >= bd.e_p[p[0]]:
            msg = f"{option} cannot hold: {_why_not(bd, b, s, t)}."
            raise ConfigError(msg)
        key = (s, t)
        fixed_units[key] = fixed_units.get(key, 0.0) + bd.f.u[b]
        if fixed_units[key] > bd.s["capacity"].iloc[s]:
            msg = (
                f"{option} cannot hold: the fixes put {fixed_units[key]:g} units on "
                f"site {site_id} in {bd.h.label(t)}, its capacity is "
                f"{bd.s['capacity'].iloc[s]}."
            )
            raise ConfigError(msg)
        row = bd.add_rows(1, ROW_FIX, 1.0, np.inf)
        bd.entries(np.full(len(by_then), row), bd.a0 + by_then, 1.0)

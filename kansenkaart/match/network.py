"""Build the time-expanded network of a match as one sparse MILP.

Every batch (or lot, when splitting) gets its own layer of the network:

* a node per (site, period) where the site's term, the batch's time and its
  fit (unit type, target group, distance, capacity, region limit) allow it,
  and a storage node per period; the batch's layer starts with one unit of
  flow in the storage node of the period before it is free;
* arcs between periods: *stay* on a site (only inside the term, so a site
  is empty from the day its term ends), *to storage* (dismantle, transport
  to the depot), *stay in storage*, *place* from storage and *move* to one of
  the nearest sites; place and move arrive after the downtime;
* arcs are binary, so a batch follows exactly one path: its site chain.

Shared rows: capacity per (site, period) against a binary *open* per site
(with its preparation cost), a minimum stay after each arrival, and demand
per (region, target group, period). The objective maximises the value of
unit-periods housed against demand (part of it weighted by the site score)
minus the costs of moves, storage and site preparation.

Index arrays are built with numpy for all batches at once; the only Python
loop is over batches when picking each site's nearest neighbours for moves
(at most ``max_sites_per_batch`` sites per batch).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kansenkaart.errors import ConfigError
from kansenkaart.match._arrays import expand_ranges, pairwise_km
from kansenkaart.match.model import (
    PERIOD_MONTHS,
    BatchTable,
    DemandTable,
    Horizon,
    Policy,
    SiteTable,
    WhatIf,
)

__all__ = ["ARC_KINDS", "Network", "build_network", "split_batches"]

logger = logging.getLogger(__name__)

#: Arc kinds, as stored in ``Network.arc_kind``.
ARC_KINDS = ("stay", "to_storage", "storage", "place", "move")
STAY, TO_STORAGE, STORAGE, PLACE, MOVE = range(5)


@dataclass(slots=True, kw_only=True)
class Network:
    """The MILP (columns, rows in triplets) and what each column means.

    Columns are ordered: x nodes (batch on a site in a period), z nodes
    (batch in storage; the first of each batch is its source), arcs, open
    (one per used site), y (demand met per demand cell).
    """

    horizon: Horizon
    policy: Policy
    sites: pd.DataFrame
    batches: pd.DataFrame
    # nodes on sites
    x_batch: np.ndarray
    x_site: np.ndarray
    x_t: np.ndarray
    # storage nodes
    z_batch: np.ndarray
    z_t: np.ndarray
    # arcs: tail/head are column numbers of nodes
    arc_kind: np.ndarray
    arc_tail: np.ndarray
    arc_head: np.ndarray
    arc_cost: np.ndarray
    arc_km: np.ndarray
    open_site: np.ndarray
    y_region: np.ndarray
    y_group: np.ndarray
    y_t: np.ndarray
    y_need: np.ndarray
    # the MILP
    cost: np.ndarray  # objective per column, to maximise
    lower: np.ndarray
    upper: np.ndarray
    integer: np.ndarray
    rows: np.ndarray
    cols: np.ndarray
    vals: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    row_kind: np.ndarray  # 0 flow, 1 capacity, 2 open link, 3 min stay, 4 demand
    hard_penalty: float
    min_stay: int
    downtime: int
    lot_t0: np.ndarray  # first period each lot is free
    lot_tend: np.ndarray  # one past its last period (life end or horizon)

    @property
    def n_x(self) -> int:
        """Number of site nodes."""
        return len(self.x_batch)

    @property
    def z0(self) -> int:
        """First storage column."""
        return self.n_x

    @property
    def a0(self) -> int:
        """First arc column."""
        return self.n_x + len(self.z_batch)

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
    builder = _Builder(s_frame, b_frame, h, policy, f)
    builder.nodes(pb, ps)
    builder.arcs(pb, ps)
    builder.shared_rows(demand)
    net = builder.finish()
    _apply_fixes(net, what_if, f)
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


def _fill(values: pd.Series, default: float) -> np.ndarray:
    return values.astype(float).fillna(default).to_numpy()


class _Builder:
    """Accumulates columns and row triplets; one method per part of the model."""

    def __init__(
        self,
        sites: pd.DataFrame,
        batches: pd.DataFrame,
        h: Horizon,
        policy: Policy,
        f: _Frame,
    ) -> None:
        self.s, self.b, self.h, self.p, self.f = sites, batches, h, policy, f
        self.ypp = h.years_per_period
        self.dis = _fill(batches["dismantle_eur"], policy.dismantle_eur)
        self.asm = _fill(batches["assemble_eur"], policy.assemble_eur)
        self.trk = _fill(batches["transport_eur_per_km"], policy.transport_eur_per_km)
        self.origin = np.where(batches["in_storage"].to_numpy(), 0.0, self.dis) * f.u
        penalty = np.array(
            [0.0, policy.outside_region_eur, policy.outside_province_eur]
        )
        self.level_eur = penalty[f.level] * f.u[:, None]
        self.rows: list[np.ndarray] = []
        self.cols: list[np.ndarray] = []
        self.vals: list[np.ndarray] = []
        self.row_kind: list[np.ndarray] = []
        self.row_bounds: list[tuple[np.ndarray, np.ndarray]] = []
        self.n_rows = 0

    # -- nodes ---------------------------------------------------------------
    def nodes(self, pb: np.ndarray, ps: np.ndarray) -> None:
        f = self.f
        self.pb, self.ps = pb, ps
        self.a_p = np.maximum(f.lo[ps], f.t0[pb] + f.d)
        self.e_p = np.minimum(f.hi[ps], f.tend[pb])
        xp, xt = expand_ranges(self.a_p, self.e_p)
        self.xp, self.xt = xp, xt
        self.xoff = np.cumsum(self.e_p - self.a_p) - (self.e_p - self.a_p)
        live = f.t0 < f.tend
        zstart = f.t0 - 1
        zb, zt = expand_ranges(zstart, np.where(live, f.tend, zstart))
        self.zb, self.zt = zb, zt
        self.n_x = len(xp)
        lengths = np.where(live, f.tend - zstart, 0)
        self.zoff = self.n_x + np.cumsum(lengths) - lengths
        self.arrival_ok = (xt + f.m <= f.hi[ps[xp]]) | (f.hi[ps[xp]] >= self.h.n)

    def x_col(self, p: np.ndarray, t: np.ndarray) -> np.ndarray:
        return self.xoff[p] + t - self.a_p[p]

    def z_col(self, b: np.ndarray, t: np.ndarray) -> np.ndarray:
        return self.zoff[b] + t - (self.f.t0[b] - 1)

    # -- arcs ----------------------------------------------------------------
    def arcs(self, pb: np.ndarray, ps: np.ndarray) -> None:
        f, xp, xt = self.f, self.xp, self.xt
        xb, xs = pb[xp], ps[xp]
        col = np.arange(self.n_x)
        parts = []
        stay = xt + 1 < self.e_p[xp]
        parts.append((STAY, col[stay], col[stay] + 1, 0.0, 0.0))
        # A batch leaves a site only when its term there ends.
        out = (xt + 1 == self.e_p[xp]) & (xt + 1 < f.tend[xb])
        km = f.km_depot[xb, xs]
        cost = f.u[xb] * (self.dis[xb] + self.trk[xb] * km)
        parts.append(
            (TO_STORAGE, col[out], self.z_col(xb[out], xt[out] + 1), cost[out], km[out])
        )
        zcol = self.n_x + np.arange(len(self.zb))
        zs = self.zt + 1 < f.tend[self.zb]
        origin = np.where(self.zt == f.t0[self.zb] - 1, self.origin[self.zb], 0.0)
        parts.append((STORAGE, zcol[zs], zcol[zs] + 1, origin[zs], 0.0))
        heads = self._place_heads(pb)
        hb, hs, dep = xb[heads], xs[heads], xt[heads] - 1 - f.d
        cost = (
            f.u[hb] * (self.trk[hb] * km[heads] + self.asm[hb])
            + self.level_eur[hb, hs]
            + np.where(dep == f.t0[hb] - 1, self.origin[hb], 0.0)
        )
        parts.append((PLACE, self.z_col(hb, dep), heads, cost, km[heads]))
        parts.append(self._moves(pb, ps))
        kinds, tails, heads, costs, kms = zip(*parts, strict=True)
        self.arc_kind = np.concatenate(
            [np.full(len(t), k) for k, t in zip(kinds, tails, strict=True)]
        )
        self.arc_tail = np.concatenate(tails).astype(np.int64)
        self.arc_head = np.concatenate(heads).astype(np.int64)
        self.arc_cost = np.concatenate(
            [np.broadcast_to(c, len(t)) for c, t in zip(costs, tails, strict=True)]
        )
        self.arc_km = np.concatenate(
            [np.broadcast_to(k, len(t)) for k, t in zip(kms, tails, strict=True)]
        )

    def _place_heads(self, pb: np.ndarray) -> np.ndarray:
        """Site nodes a batch may be placed on from storage (sorted columns).

        Placements happen at events only: when the batch can first use the
        site (free, term started) and right after one of the batch's other
        terms has ended (the period after it went to storage, plus the
        downtime).
        """
        f = self.f
        pairs = pd.DataFrame({"p": np.arange(len(pb)), "b": pb, "a": self.a_p,
                              "e": self.e_p})
        ends = pairs.loc[pairs.e < f.tend[pairs.b], ["b", "e"]].drop_duplicates()
        later = pairs.merge(ends.rename(columns={"e": "end"}), on="b")
        later["t"] = later.end + 1 + f.d
        later = later[(later.t >= later.a) & (later.t < later.e)]
        p = np.r_[pairs.p.to_numpy(), later.p.to_numpy()]
        t = np.r_[pairs.a.to_numpy(), later.t.to_numpy()]
        heads = np.unique(self.x_col(p, t))
        return heads[self.arrival_ok[heads]]

    def _move_pairs(
        self, pb: np.ndarray, ps: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(pair from, pair to, km) for each pair's nearest other sites of its batch."""
        sx, sy = self.s.x.to_numpy(), self.s.y.to_numpy()
        starts = (
            np.flatnonzero(np.r_[True, pb[1:] != pb[:-1]])
            if len(pb)
            else np.array([], int)
        )
        stops = np.r_[starts[1:], len(pb)] if len(pb) else np.array([], int)
        src, dst, kms = [], [], []
        k = self.p.neighbours
        for a, z in zip(starts, stops, strict=True):  # one loop per batch
            sites = ps[a:z]
            km = pairwise_km(sx[sites], sy[sites], sx[sites], sy[sites])
            np.fill_diagonal(km, np.inf)
            km[km > self.p.max_distance_km] = np.inf
            near = np.argsort(km, axis=1, kind="stable")[:, : min(k, z - a - 1)]
            i = np.repeat(np.arange(z - a), near.shape[1])
            j = near.ravel()
            good = np.isfinite(km[i, j])
            src.append(a + i[good])
            dst.append(a + j[good])
            kms.append(km[i, j][good])
        if not src:
            empty = np.array([], dtype=np.int64)
            return empty, empty, np.array([], float)
        return np.concatenate(src), np.concatenate(dst), np.concatenate(kms)

    def _moves(self, pb: np.ndarray, ps: np.ndarray) -> tuple:
        f = self.f
        src, dst, km = self._move_pairs(pb, ps)
        # Direct moves leave in the last period of a term and arrive after
        # the downtime on one of the nearest sites of the same batch.
        t = self.e_p[src] - 1
        arrive = t + 1 + f.d
        ok = (self.e_p[src] < f.tend[pb[src]]) & (arrive >= self.a_p[dst])
        ok &= arrive < self.e_p[dst]
        p, q, t, km = src[ok], dst[ok], t[ok], km[ok]
        head = self.x_col(q, t + 1 + f.d)
        ok = self.arrival_ok[head]
        p, q, t, head, km = p[ok], q[ok], t[ok], head[ok], km[ok]
        b = pb[p]
        cost = (
            f.u[b] * (self.dis[b] + self.trk[b] * km + self.asm[b])
            + self.level_eur[b, ps[q]]
        )
        return MOVE, self.x_col(p, t), head, cost, km

    # -- rows ----------------------------------------------------------------
    def add_rows(
        self, n: int, kind: int, lower: np.ndarray | float, upper: np.ndarray | float
    ) -> int:
        first = self.n_rows
        self.n_rows += n
        self.row_kind.append(np.full(n, kind))
        self.row_bounds.append(
            (
                np.broadcast_to(lower, n).astype(float),
                np.broadcast_to(upper, n).astype(float),
            )
        )
        return first

    def entries(
        self, rows: np.ndarray, cols: np.ndarray, vals: np.ndarray | float
    ) -> None:
        self.rows.append(np.asarray(rows, dtype=np.int64))
        self.cols.append(np.asarray(cols, dtype=np.int64))
        self.vals.append(
            np.broadcast_to(np.asarray(vals, dtype=float), len(rows)).copy()
        )

    def flow_rows(self) -> None:
        """In-flow = node = out-flow; no in-row at a source, no out-row at a sink."""
        f = self.f
        n_nodes = self.n_x + len(self.zb)
        node_b = np.r_[self.pb[self.xp], self.zb]
        node_t = np.r_[self.xt, self.zt]
        has_in = node_t >= f.t0[node_b]
        has_out = node_t < f.tend[node_b] - 1
        in_row = np.full(n_nodes, -1)
        out_row = np.full(n_nodes, -1)
        first = self.add_rows(int(has_in.sum()) + int(has_out.sum()), 0, 0.0, 0.0)
        in_row[has_in] = first + np.arange(int(has_in.sum()))
        out_row[has_out] = first + int(has_in.sum()) + np.arange(int(has_out.sum()))
        nodes = np.arange(n_nodes)
        self.entries(in_row[has_in], nodes[has_in], -1.0)
        self.entries(out_row[has_out], nodes[has_out], -1.0)
        arcs = self.a0 + np.arange(len(self.arc_kind))
        self.entries(out_row[self.arc_tail], arcs, 1.0)
        self.entries(in_row[self.arc_head], arcs, 1.0)

    @property
    def a0(self) -> int:
        return self.n_x + len(self.zb)

    def site_rows(self) -> None:
        """Capacity per (site, period) against the open binary; node <= open."""
        xs = self.ps[self.xp]
        self.open_site = np.unique(xs)
        o0 = self.a0 + len(self.arc_kind)
        open_col = o0 + np.searchsorted(self.open_site, xs)
        key = xs * (self.h.n + 1) + self.xt
        cells, cell = np.unique(key, return_inverse=True)
        first = self.add_rows(len(cells), 1, -np.inf, 0.0)
        u = self.f.u[self.pb[self.xp]]
        self.entries(first + cell, np.arange(self.n_x), u)
        cell_site = cells // (self.h.n + 1)
        cap = self.s["capacity"].to_numpy()[cell_site]
        self.entries(
            first + np.arange(len(cells)),
            o0 + np.searchsorted(self.open_site, cell_site),
            -cap,
        )
        # Arrivals on a site (one per batch at most, as it stays to the term's
        # end) only when the site is open: a tight link for the LP bound.
        arrive = np.flatnonzero(np.isin(self.arc_kind, (PLACE, MOVE)))
        pair = self.xp[self.arc_head[arrive]]
        used, row = np.unique(pair, return_inverse=True)
        first = self.add_rows(len(used), 2, -np.inf, 0.0)
        self.entries(first + row, self.a0 + arrive, 1.0)
        self.entries(first + np.arange(len(used)),
                     o0 + np.searchsorted(self.open_site, self.ps[used]), -1.0)

    def demand_cells(self, demand: DemandTable | None) -> pd.DataFrame:
        """Units needed per (region, target group, period), summed over lines."""
        if demand is None:
            return pd.DataFrame(columns=["region", "target_group", "t", "need"])
        d, h = demand.frame, self.h
        both = d.groupby("region")["target_group"].agg(
            lambda g: (g == "").any() and (g != "").any()
        )
        if both.any():
            msg = (
                f"{demand.source}: region(s) {', '.join(both[both].index[:5])} have a "
                "line for any target group and lines for named groups; a housed "
                "unit would count twice. Use either one line without target_group "
                "or one line per group."
            )
            raise ConfigError(msg)
        lo = np.where(
            d["from"].isna(),
            0,
            h.first_from(d["from"].fillna(pd.Timestamp(h.starts[0])).to_numpy()),
        )
        hi = np.where(
            d["to"].isna(),
            h.n,
            h.last_before(d["to"].fillna(pd.Timestamp(h.end)).to_numpy()),
        )
        line, t = expand_ranges(lo, hi)
        cells = pd.DataFrame(
            {
                "region": d["region"].to_numpy()[line],
                "target_group": d["target_group"].to_numpy()[line],
                "t": t,
                "need": d["units"].to_numpy()[line],
            }
        )
        return cells.groupby(
            ["region", "target_group", "t"], as_index=False, sort=True
        )["need"].sum()

    def demand_rows(self, cells: pd.DataFrame) -> None:
        """y <= sum of units housed in the cell's region (and group)."""
        self.cells = cells
        if cells.empty:
            return
        y0 = self.a0 + len(self.arc_kind) + len(self.open_site)
        xb, xs = self.pb[self.xp], self.ps[self.xp]
        nodes = pd.DataFrame(
            {
                "col": np.arange(self.n_x),
                "region": self.s["region"].to_numpy()[xs],
                "group": self.b["target_group"].to_numpy()[xb],
                "t": self.xt,
                "u": self.f.u[xb],
            }
        )
        cells = cells.assign(cell=np.arange(len(cells)))
        anyg = cells[cells.target_group == ""].merge(nodes, on=["region", "t"])
        named = cells[cells.target_group != ""].merge(
            nodes,
            left_on=["region", "target_group", "t"],
            right_on=["region", "group", "t"],
        )
        joined = pd.concat([anyg, named])
        first = self.add_rows(len(cells), 4, -np.inf, 0.0)
        self.entries(first + np.arange(len(cells)), y0 + np.arange(len(cells)), 1.0)
        self.entries(
            first + joined["cell"].to_numpy(),
            joined["col"].to_numpy(),
            -joined["u"].to_numpy(),
        )

    def shared_rows(self, demand: DemandTable | None) -> None:
        self.flow_rows()
        self.site_rows()
        self.demand_rows(self.demand_cells(demand))

    # -- objective and assembly ----------------------------------------------
    def objective(self) -> tuple[np.ndarray, float]:
        p, f = self.p, self.f
        vpp = p.value_eur_per_unit_year * self.ypp
        xb, xs = self.pb[self.xp], self.ps[self.xp]
        score = np.nan_to_num(self.s["score"].to_numpy(dtype=float)[xs] / 100.0)
        has_demand = not self.cells.empty
        base = 0.0 if has_demand else 1 - p.score_weight
        x_val = vpp * f.u[xb] * (base + p.score_weight * score)
        z_val = np.where(
            self.zt >= f.t0[self.zb],
            -p.storage_eur_per_unit_year * self.ypp * f.u[self.zb],
            0.0,
        )
        prep = -self.s["prep_eur"].to_numpy(dtype=float)[self.open_site]
        penalty = 0.0
        y_val = np.full(len(self.cells), vpp * (1 - p.score_weight))
        if p.demand == "hard" and has_demand:
            # Elastic hard demand: a shortfall costs more than any plan can gain.
            penalty = 10.0 * (
                np.abs(self.arc_cost).sum()
                + np.abs(prep).sum()
                + np.abs(x_val).sum()
                + vpp * self.cells["need"].sum()
                + 1.0
            )
            penalty /= max(float(self.cells["need"].sum()), 1.0)
            y_val = y_val + penalty
        return np.concatenate([x_val, z_val, -self.arc_cost, prep, y_val]), penalty

    def finish(self) -> Network:
        cost, penalty = self.objective()
        n_z, n_a, n_o = len(self.zb), len(self.arc_kind), len(self.open_site)
        n_y = len(self.cells)
        lower = np.zeros(len(cost))
        upper = np.ones(len(cost))
        source = self.n_x + np.flatnonzero(self.zt == self.f.t0[self.zb] - 1)
        lower[source] = 1.0
        upper[len(cost) - n_y :] = self.cells["need"].to_numpy(dtype=float)
        # Only arrivals and open sites are binary: with them integral, every
        # node and the stay / storage arcs are integral by flow conservation.
        arrivals = np.isin(self.arc_kind, (PLACE, MOVE))
        integer = np.r_[
            np.zeros(self.n_x + n_z, bool), arrivals, np.ones(n_o, bool), np.zeros(n_y, bool)
        ]
        lows, ups = zip(*self.row_bounds, strict=True)
        return Network(
            horizon=self.h,
            policy=self.p,
            sites=self.s,
            batches=self.b,
            x_batch=self.pb[self.xp],
            x_site=self.ps[self.xp],
            x_t=self.xt,
            z_batch=self.zb,
            z_t=self.zt,
            arc_kind=self.arc_kind,
            arc_tail=self.arc_tail,
            arc_head=self.arc_head,
            arc_cost=self.arc_cost,
            arc_km=self.arc_km,
            open_site=self.open_site,
            y_region=self.cells["region"].to_numpy(dtype=object),
            y_group=self.cells["target_group"].to_numpy(dtype=object),
            y_t=self.cells["t"].to_numpy(dtype=np.int64),
            y_need=self.cells["need"].to_numpy(dtype=float),
            cost=cost,
            lower=lower,
            upper=upper,
            integer=integer,
            rows=np.concatenate(self.rows),
            cols=np.concatenate(self.cols),
            vals=np.concatenate(self.vals),
            row_lower=np.concatenate(lows),
            row_upper=np.concatenate(ups),
            row_kind=np.concatenate(self.row_kind),
            hard_penalty=penalty,
            min_stay=self.f.m,
            downtime=self.f.d,
            lot_t0=self.f.t0,
            lot_tend=self.f.tend,
        )


def period_index(h: Horizon, text: str, *, option: str) -> int:
    """Return the period holding ``text`` (``2031-Q2``, ``2031-05`` or a date)."""
    text = str(text).strip()
    if len(text) == 7 and text[4:6].upper() == "-Q" and text[6] in "1234":
        day = pd.Timestamp(year=int(text[:4]), month=3 * int(text[6]) - 2, day=1)
    else:
        try:
            day = pd.Timestamp(text)
        except ValueError as err:
            msg = f"{option}: {text!r} is not a period; write 2031-Q2, 2031-05 or 2031-05-01."
            raise ConfigError(msg) from err
    t = int(np.searchsorted(h.starts, np.datetime64(day.date(), "D"), "right")) - 1
    if t < 0 or np.datetime64(day.date(), "D") >= h.end:
        msg = f"{option}: {text} lies outside the planning horizon {h.label(0)}–{h.label(h.n - 1)}."
        raise ConfigError(msg)
    return t


def _why_not(net: Network, f: _Frame, b: int, s: int, t: int) -> str:
    site, batch, h = net.sites.iloc[s], net.batches.iloc[b], net.horizon
    fits = _fits(net.sites.iloc[[s]], net.batches.iloc[[b]])[0, 0]
    reasons = [
        (
            t < f.lo[s] or t >= f.hi[s],
            f"site {site.site_id} holds no units in {h.label(t)} (its term, or --forbid)",
        ),
        (
            t < f.t0[b] + f.d,
            f"batch {batch.batch_id} is free from {pd.Timestamp(batch.free_from).date()} "
            f"and a move takes {f.d} period(s)",
        ),
        (t >= f.tend[b], f"batch {batch.batch_id} is past its technical life"),
        (
            not fits,
            f"{batch.unit_type}/{batch.target_group or '-'} units "
            f"({batch.units}) do not fit site {site.site_id} (unit types, "
            f"target groups or capacity {site.capacity})",
        ),
        (
            f.km_depot[b, s] > net.policy.max_distance_km,
            f"site {site.site_id} lies {f.km_depot[b, s]:.1f} km away, beyond "
            f"max_distance_km {net.policy.max_distance_km:g}",
        ),
    ]
    for bad, text in reasons:
        if bad:
            return text
    return (
        f"the site's remaining term is shorter than the minimum stay, or it is "
        f"not among the batch's {net.policy.max_sites_per_batch} nearest sites"
    )


def _apply_fixes(net: Network, what_if: WhatIf, f: _Frame) -> None:
    """Force each fixed placement; explain fixes that cannot hold."""
    lot_ids = net.batches["batch_id"].to_numpy()
    site_ids = net.sites["site_id"].to_numpy()
    fixed_units: dict[tuple[int, int], float] = {}
    for batch_id, site_id, when in what_if.fixes:
        option = f"--fix {batch_id}={site_id}@{when}"
        b = np.flatnonzero(lot_ids == batch_id)
        s = np.flatnonzero(site_ids == site_id)
        if not len(b) or not len(s):
            what = "batch (or lot)" if not len(b) else "site"
            msg = f"{option}: no {what} with this id in the input."
            raise ConfigError(msg)
        t = period_index(net.horizon, when, option=option)
        col = np.flatnonzero(
            (net.x_batch == b[0]) & (net.x_site == s[0]) & (net.x_t == t)
        )
        if not len(col):
            msg = f"{option} cannot hold: {_why_not(net, f, int(b[0]), int(s[0]), t)}."
            raise ConfigError(msg)
        net.lower[col[0]] = 1.0
        key = (int(s[0]), t)
        fixed_units[key] = fixed_units.get(key, 0.0) + f.u[b[0]]
        if fixed_units[key] > net.sites["capacity"].iloc[s[0]]:
            msg = (
                f"{option} cannot hold: the fixes put {fixed_units[key]:g} units on "
                f"site {site_id} in {net.horizon.label(t)}, its capacity is "
                f"{net.sites['capacity'].iloc[s[0]]}."
            )
            raise ConfigError(msg)

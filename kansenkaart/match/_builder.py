"""Assemble the columns and rows of the match MILP from index arrays.

Columns, in this order: one *stint* node per candidate (batch, site) pair
(1 when the batch stands on that site at the end of the term there), one
storage node per batch and period, the arcs, one *open* binary per usable
site, and one *met* column per demand cell.

A batch stays on a site from its arrival until the term there ends (or its
technical life, or the horizon): it never leaves early. So a stint is
fixed by its arrival arc, occupancy on a site only grows until a batch's
life or the term ends, and capacity needs checking only in the last period
before each such end.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kansenkaart.errors import ConfigError
from kansenkaart.match._arrays import expand_ranges, pairwise_km
from kansenkaart.match.model import DemandTable, Horizon, Policy

__all__ = ["MOVE", "PLACE", "STORAGE", "TO_STORAGE", "Builder"]

TO_STORAGE, STORAGE, PLACE, MOVE = 1, 2, 3, 4
ROW_FLOW, ROW_CAPACITY, ROW_OPEN, ROW_FIX, ROW_DEMAND = range(5)


def _fill(values: pd.Series, default: float) -> np.ndarray:
    return values.astype(float).fillna(default).to_numpy()


class Builder:
    """Accumulates columns and row triplets; one method per part of the model."""

    def __init__(self, sites: pd.DataFrame, batches: pd.DataFrame, h: Horizon,
                 policy: Policy, f: object) -> None:  # fmt: skip
        self.s, self.b, self.h, self.p, self.f = sites, batches, h, policy, f
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
        self.cells = pd.DataFrame(columns=["region", "target_group", "t", "need"])

    # -- nodes ---------------------------------------------------------------
    def nodes(self, pb: np.ndarray, ps: np.ndarray) -> None:
        """Stint nodes (one per pair) and storage nodes (per batch and period)."""
        f = self.f
        self.pb, self.ps = pb, ps
        self.a_p = np.maximum(f.lo[ps], f.t0[pb] + f.d)
        self.e_p = np.minimum(np.minimum(f.hi[ps], f.tend[pb]), self.h.n)
        self.n_p = len(pb)
        live = f.t0 < f.tend
        zstart = f.t0 - 1
        self.zb, self.zt = expand_ranges(zstart, np.where(live, f.tend, zstart))
        lengths = np.where(live, f.tend - zstart, 0)
        self.zoff = self.n_p + np.cumsum(lengths) - lengths

    def z_col(self, b: np.ndarray, t: np.ndarray) -> np.ndarray:
        return self.zoff[b] + t - (self.f.t0[b] - 1)

    def arrival_ok(self, p: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Arriving at ``t`` leaves the minimum stay before the term ends."""
        hi = self.f.hi[self.ps[p]]
        return (
            (t >= self.a_p[p])
            & (t < self.e_p[p])
            & ((t + self.f.m <= hi) | (hi >= self.h.n))
        )

    # -- arcs ----------------------------------------------------------------
    def arcs(self) -> None:
        """Storage, to-storage, place and move arcs with costs and times."""
        parts = [self._storage(), self._to_storage(), self._places(), self._moves()]
        keys = (
            "kind",
            "tail",
            "head",
            "cost",
            "km",
            "batch",
            "src",
            "dst",
            "dep",
            "arr",
        )
        arcs = {
            k: np.concatenate([np.asarray(part[k]) for part in parts]) for k in keys
        }
        for k in ("kind", "tail", "head", "batch", "src", "dst", "dep", "arr"):
            arcs[k] = arcs[k].astype(np.int64)
        self.arc = arcs
        self.n_a = len(arcs["kind"])

    @staticmethod
    def _part(kind: int, **cols: np.ndarray) -> dict[str, np.ndarray]:
        n = len(cols["tail"])
        return {
            "kind": np.full(n, kind),
            **{k: np.broadcast_to(v, n) for k, v in cols.items()},
        }

    def _storage(self) -> dict[str, np.ndarray]:
        f, zb, zt = self.f, self.zb, self.zt
        keep = zt + 1 < f.tend[zb]
        col = self.n_p + np.flatnonzero(keep)
        origin = np.where(zt == f.t0[zb] - 1, self.origin[zb], 0.0)[keep]
        return self._part(STORAGE, tail=col, head=col + 1, cost=origin, km=0.0,
                          batch=zb[keep], src=-1, dst=-1, dep=zt[keep] + 1,
                          arr=zt[keep] + 1)  # fmt: skip

    def _to_storage(self) -> dict[str, np.ndarray]:
        f, pb, ps = self.f, self.pb, self.ps
        p = np.flatnonzero(self.e_p < f.tend[pb])
        b, s = pb[p], ps[p]
        km = f.km_depot[b, s]
        cost = f.u[b] * (self.dis[b] + self.trk[b] * km)
        return self._part(
            TO_STORAGE,
            tail=p,
            head=self.z_col(b, self.e_p[p]),
            cost=cost,
            km=km,
            batch=b,
            src=s,
            dst=-1,
            dep=self.e_p[p],
            arr=self.e_p[p],
        )

    def _places(self) -> dict[str, np.ndarray]:
        """Placements at events: when first possible, and after another term ends."""
        f, pb = self.f, self.pb
        pairs = pd.DataFrame({"p": np.arange(self.n_p), "b": pb, "e": self.e_p})
        ends = pairs.loc[pairs.e < f.tend[pairs.b], ["b", "e"]].drop_duplicates()
        later = pairs[["p", "b"]].merge(ends, on="b")
        p = np.r_[np.arange(self.n_p), later.p.to_numpy()]
        t = np.r_[self.a_p, later.e.to_numpy() + 1 + f.d]
        key = np.unique(p * (self.h.n + 2) + t)
        p, t = key // (self.h.n + 2), key % (self.h.n + 2)
        ok = self.arrival_ok(p, t)
        p, t = p[ok], t[ok]
        b, s = pb[p], self.ps[p]
        km = f.km_depot[b, s]
        dep = t - 1 - f.d
        cost = (
            f.u[b] * (self.trk[b] * km + self.asm[b] + self.p.prep_eur_per_unit)
            + self.level_eur[b, s]
            + np.where(dep == f.t0[b] - 1, self.origin[b], 0.0)
        )
        return self._part(
            PLACE,
            tail=self.z_col(b, dep),
            head=p,
            cost=cost,
            km=km,
            batch=b,
            src=-1,
            dst=s,
            dep=dep + 1,
            arr=t,
        )

    def _move_pairs(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(pair, pair, km): each pair's nearest other sites of the same batch.

        One loop per batch (at most ``max_sites_per_batch`` sites each).
        """
        pb, ps = self.pb, self.ps
        sx, sy = self.s.x.to_numpy(), self.s.y.to_numpy()
        starts = np.flatnonzero(np.r_[True, pb[1:] != pb[:-1]]) if len(pb) else pb
        stops = np.r_[starts[1:], len(pb)].astype(int)[: len(starts)]
        src, dst, kms = [np.array([], int)], [np.array([], int)], [np.array([])]
        for a, z in zip(starts, stops, strict=True):
            km = pairwise_km(sx[ps[a:z]], sy[ps[a:z]], sx[ps[a:z]], sy[ps[a:z]])
            np.fill_diagonal(km, np.inf)
            km[km > self.p.max_distance_km] = np.inf
            near = np.argsort(km, axis=1, kind="stable")[
                :, : min(self.p.neighbours, z - a - 1)
            ]
            i, j = np.repeat(np.arange(z - a), near.shape[1]), near.ravel()
            good = np.isfinite(km[i, j])
            src.append(a + i[good])
            dst.append(a + j[good])
            kms.append(km[i, j][good])
        return np.concatenate(src), np.concatenate(dst), np.concatenate(kms)

    def _moves(self) -> dict[str, np.ndarray]:
        """Direct moves when a term ends, arriving after the downtime."""
        f = self.f
        src, dst, km = self._move_pairs()
        t = self.e_p[src] + f.d
        ok = (self.e_p[src] < f.tend[self.pb[src]]) & self.arrival_ok(dst, t)
        src, dst, t, km = src[ok], dst[ok], t[ok], km[ok]
        b, s = self.pb[src], self.ps[dst]
        cost = (
            f.u[b]
            * (self.dis[b] + self.trk[b] * km + self.asm[b] + self.p.prep_eur_per_unit)
            + self.level_eur[b, s]
        )
        return self._part(
            MOVE,
            tail=src,
            head=dst,
            cost=cost,
            km=km,
            batch=b,
            src=self.ps[src],
            dst=s,
            dep=self.e_p[src],
            arr=t,
        )

    # -- rows ----------------------------------------------------------------
    def add_rows(self, n: int, kind: int, lower: float, upper: float) -> int:
        first = self.n_rows
        self.n_rows += n
        self.row_kind.append(np.full(n, kind))
        self.row_bounds.append((np.full(n, lower, float), np.full(n, upper, float)))
        return first

    def entries(
        self, rows: np.ndarray, cols: np.ndarray, vals: np.ndarray | float
    ) -> None:
        self.rows.append(np.asarray(rows, dtype=np.int64))
        self.cols.append(np.asarray(cols, dtype=np.int64))
        self.vals.append(
            np.broadcast_to(np.asarray(vals, float), len(self.rows[-1])).copy()
        )

    @property
    def a0(self) -> int:
        return self.n_p + len(self.zb)

    @property
    def o0(self) -> int:
        return self.a0 + self.n_a

    def flow_rows(self) -> None:
        """In-flow = node = out-flow; no in-row at a source, no out-row at a sink."""
        f = self.f
        has_in = np.r_[np.ones(self.n_p, bool), self.zt >= f.t0[self.zb]]
        has_out = np.r_[self.e_p < f.tend[self.pb], self.zt < f.tend[self.zb] - 1]
        n_in, n_out = int(has_in.sum()), int(has_out.sum())
        in_row = np.full(len(has_in), -1)
        out_row = np.full(len(has_in), -1)
        first = self.add_rows(n_in + n_out, ROW_FLOW, 0.0, 0.0)
        in_row[has_in] = first + np.arange(n_in)
        out_row[has_out] = first + n_in + np.arange(n_out)
        nodes = np.arange(len(has_in))
        self.entries(in_row[has_in], nodes[has_in], -1.0)
        self.entries(out_row[has_out], nodes[has_out], -1.0)
        cols = self.a0 + np.arange(self.n_a)
        self.entries(out_row[self.arc["tail"]], cols, 1.0)
        self.entries(in_row[self.arc["head"]], cols, 1.0)

    def arrivals(self) -> np.ndarray:
        """Arc numbers of placements and moves (arrivals on a site)."""
        return np.flatnonzero(np.isin(self.arc["kind"], (PLACE, MOVE)))

    def site_rows(self) -> None:
        """Capacity before each end on a site (against open); stint <= open."""
        self.open_site = np.unique(self.ps)
        open_of = self.o0 + np.searchsorted(self.open_site, self.ps)
        checks = pd.DataFrame({"s": self.ps, "c": self.e_p - 1}).drop_duplicates()
        checks = checks.sort_values(["s", "c"]).reset_index(drop=True)
        first = self.add_rows(len(checks), ROW_CAPACITY, -np.inf, 0.0)
        arr = self.arrivals()
        p = self.arc["head"][arr]
        arcs = pd.DataFrame(
            {
                "a": arr,
                "s": self.ps[p],
                "t": self.arc["arr"][arr],
                "e": self.e_p[p],
                "u": self.f.u[self.pb[p]],
            }
        )
        hit = arcs.merge(checks.reset_index(names="row"), on="s")
        hit = hit[(hit.c >= hit.t) & (hit.c < hit.e)]
        self.entries(
            first + hit.row.to_numpy(), self.a0 + hit.a.to_numpy(), hit.u.to_numpy()
        )
        cap = self.s["capacity"].to_numpy(float)[checks.s.to_numpy()]
        self.entries(
            first + np.arange(len(checks)),
            self.o0 + np.searchsorted(self.open_site, checks.s.to_numpy()),
            -cap,
        )
        first = self.add_rows(self.n_p, ROW_OPEN, -np.inf, 0.0)
        self.entries(first + np.arange(self.n_p), np.arange(self.n_p), 1.0)
        self.entries(first + np.arange(self.n_p), open_of, -1.0)

    def housed(self) -> pd.DataFrame:
        """(arc, period, site, batch) for each period an arrival keeps a batch."""
        arr = self.arrivals()
        p = self.arc["head"][arr]
        k, t = expand_ranges(self.arc["arr"][arr], self.e_p[p])
        return pd.DataFrame(
            {"a": arr[k], "t": t, "s": self.ps[p[k]], "b": self.pb[p[k]]}
        )

    def demand_cells(self, demand: DemandTable | None) -> None:
        """Units needed per (region, target group, period), summed over lines."""
        if demand is None:
            return
        d, h = demand.frame, self.h
        mixed = d.groupby("region")["target_group"].agg(
            lambda g: bool((g == "").any() and (g != "").any())
        )
        if mixed.any():
            msg = (
                f"{demand.source}: region(s) {', '.join(mixed[mixed].index[:5])} have "
                "a line for any target group and lines for named groups; a housed "
                "unit would count twice. Use one line without target_group or one "
                "line per group."
            )
            raise ConfigError(msg)
        start = d["from"].fillna(pd.Timestamp(h.starts[0])).to_numpy()
        stop = d["to"].fillna(pd.Timestamp(h.end)).to_numpy()
        line, t = expand_ranges(
            np.maximum(h.first_from(start), 0), np.minimum(h.last_before(stop), h.n)
        )
        cells = pd.DataFrame(
            {
                "region": d["region"].to_numpy()[line],
                "target_group": d["target_group"].to_numpy()[line],
                "t": t,
                "need": d["units"].to_numpy()[line],
            }
        )
        self.cells = cells.groupby(
            ["region", "target_group", "t"], as_index=False, sort=True
        )["need"].sum()

    def demand_rows(self) -> None:
        """met <= units housed in the cell's region (and group) in its period."""
        if self.cells.empty:
            return
        y0 = self.o0 + len(self.open_site)
        h = self.housed()
        h["region"] = self.s["region"].to_numpy()[h.s]
        h["group"] = self.b["target_group"].to_numpy()[h.b]
        h["u"] = self.f.u[h.b]
        cells = self.cells.assign(cell=np.arange(len(self.cells)))
        joined = pd.concat([
            cells[cells.target_group == ""].merge(h, on=["region", "t"]),
            cells[cells.target_group != ""].merge(
                h, left_on=["region", "target_group", "t"],
                right_on=["region", "group", "t"]),
        ])  # fmt: skip
        first = self.add_rows(len(cells), ROW_DEMAND, -np.inf, 0.0)
        self.entries(first + np.arange(len(cells)), y0 + np.arange(len(cells)), 1.0)
        self.entries(
            first + joined.cell.to_numpy(),
            self.a0 + joined.a.to_numpy(),
            -joined.u.to_numpy(),
        )

    # -- objective -----------------------------------------------------------
    def objective(self) -> tuple[np.ndarray, float]:
        """Value of unit-periods housed minus costs, per column (to maximise)."""
        p, f = self.p, self.f
        vpp = p.value_eur_per_unit_year * self.h.years_per_period
        score = np.nan_to_num(self.s["score"].to_numpy(dtype=float) / 100.0)
        base = 0.0 if not self.cells.empty else 1 - p.score_weight
        arr = self.arrivals()
        periods = self.e_p[self.arc["head"][arr]] - self.arc["arr"][arr]
        b, s = self.arc["batch"][arr], self.arc["dst"][arr]
        arc_val = -self.arc["cost"].copy()
        arc_val[arr] += vpp * f.u[b] * periods * (base + p.score_weight * score[s])
        z_val = np.where(self.zt >= f.t0[self.zb],
                         -p.storage_eur_per_unit_year * self.h.years_per_period
                         * f.u[self.zb], 0.0)  # fmt: skip
        prep = -self.s["prep_eur"].to_numpy(dtype=float)[self.open_site]
        y_val = np.full(len(self.cells), vpp * (1 - p.score_weight))
        penalty = 0.0
        if p.demand == "hard" and not self.cells.empty:
            # Elastic hard demand: a unit short costs more than any plan gains.
            total = np.abs(arc_val).sum() + np.abs(prep).sum() + np.abs(z_val).sum()
            penalty = 10.0 * (total + vpp * float(self.cells["need"].sum()) + 1.0)
            y_val = y_val + penalty
        cols = [np.zeros(self.n_p), z_val, arc_val, prep, y_val]
        return np.concatenate(cols), penalty

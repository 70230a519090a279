"""The hand-made baseline: the best-scored free site for each batch, in date order.

This is what a person does without an optimiser: take the batches in the order
they become free; put each on the best-scored site that fits and has room for
at least the minimum stay; keep it there as long as the term and the room
last; when it must leave, look again (the nearest equally scored site first);
when nothing fits, store it. It walks the same network as the optimiser, so
its plan is a feasible solution of the same model and is handed to the
solver as its start.
"""

from __future__ import annotations

import heapq

import numpy as np

from kansenkaart.match.network import MOVE, PLACE, STAY, STORAGE, TO_STORAGE, Network

__all__ = ["greedy_plan"]


class _Greedy:
    def __init__(self, net: Network) -> None:
        self.net = net
        order = np.argsort(net.arc_tail, kind="stable")
        self.arc_order = order
        n_nodes = net.n_x + len(net.z_batch)
        self.first = np.searchsorted(net.arc_tail[order], np.arange(n_nodes + 1))
        seg = np.r_[
            True,
            (np.diff(net.x_batch) != 0)
            | (np.diff(net.x_site) != 0)
            | (np.diff(net.x_t) != 1),
        ]
        seg_id = np.cumsum(seg) - 1
        seg_end = np.r_[np.flatnonzero(seg)[1:], net.n_x]
        self.remaining = seg_end[seg_id] - np.arange(net.n_x)
        self.cap = np.repeat(
            net.sites["capacity"].to_numpy(float)[:, None], net.horizon.n, axis=1
        )
        self.u = net.batches["units"].to_numpy(float)
        self.score = np.nan_to_num(net.sites["score"].to_numpy(float), nan=-1.0)
        self.values = np.zeros(net.n_cols)
        self.stay_of = np.full(net.n_x, -1)
        stays = np.flatnonzero(net.arc_kind == STAY)
        self.stay_of[net.arc_tail[stays]] = stays

    def out_arcs(self, node: int) -> np.ndarray:
        return self.arc_order[self.first[node] : self.first[node + 1]]

    def room(self, head: int, periods: int, units: float) -> bool:
        s, t = self.net.x_site[head], self.net.x_t[head]
        return bool(np.all(self.cap[s, t : t + periods] >= units))

    def choose(self, node: int, b: int) -> int | None:
        net = self.net
        arcs = self.out_arcs(node)
        arcs = arcs[np.isin(net.arc_kind[arcs], (PLACE, MOVE))]
        if not len(arcs):
            return None
        heads = net.arc_head[arcs]
        need = self.remaining[heads]  # a batch stays until the term ends
        fits = np.array(
            [self.room(h, k, self.u[b]) for h, k in zip(heads, need, strict=True)],
            dtype=bool,
        )
        if not fits.any():
            return None
        arcs, heads = arcs[fits], heads[fits]
        best = np.lexsort(
            (net.x_site[heads], net.arc_cost[arcs], -self.score[net.x_site[heads]])
        )
        return int(arcs[best[0]])

    def settle(self, arc: int, b: int) -> int:
        """Take ``arc`` to a site and stay to the end of the term; return last node."""
        net, v = self.net, self.values
        v[net.a0 + arc] = 1
        node = int(net.arc_head[arc])
        s = net.x_site[node]
        v[net.o0 + np.searchsorted(net.open_site, s)] = 1
        while True:
            v[node] = 1
            self.cap[s, net.x_t[node]] -= self.u[b]
            stay = self.stay_of[node]
            if stay < 0:
                return node
            v[net.a0 + stay] = 1
            node = int(net.arc_head[stay])

    def wait(self, node: int) -> int | None:
        arcs = self.out_arcs(node)
        arcs = arcs[np.isin(self.net.arc_kind[arcs], (STORAGE, TO_STORAGE))]
        if not len(arcs):
            return None
        arc = int(arcs[0])
        self.values[self.net.a0 + arc] = 1
        head = int(self.net.arc_head[arc])
        self.values[head] = 1
        return head


def _demand_values(net: Network, values: np.ndarray) -> None:
    """Set each demand cell to the units housed there, up to the need."""
    if not len(net.y_need):
        return
    rows = net.row_kind[net.rows] == 4
    first = int(np.flatnonzero(net.row_kind == 4)[0])
    xs = rows & (net.cols < net.y0)
    housed = -np.bincount(
        net.rows[xs] - first,
        weights=net.vals[xs] * values[net.cols[xs]],
        minlength=len(net.y_need),
    )
    values[net.y0 :] = np.minimum(net.y_need, np.maximum(housed, 0.0))


def greedy_plan(net: Network) -> np.ndarray:
    """Return the baseline plan as a feasible column vector of ``net``.

    Parameters
    ----------
    net : Network
        The match network.

    Returns
    -------
    numpy.ndarray
        Column values (0/1 for nodes, arcs and open sites; demand met).
    """
    g = _Greedy(net)
    rank = np.argsort(
        np.lexsort(
            (net.batches["batch_id"].to_numpy(), net.batches["free_from"].to_numpy())
        )
    )
    heap = []
    sources = np.flatnonzero(net.lower[net.z0 : net.a0] == 1) + net.z0
    for node in sources:
        b = int(net.z_batch[node - net.z0])
        g.values[node] = 1
        heapq.heappush(heap, (int(net.z_t[node - net.z0]), int(rank[b]), b, int(node)))
    while heap:
        _, _, b, node = heapq.heappop(heap)
        arc = g.choose(node, b)
        nxt = g.settle(arc, b) if arc is not None else g.wait(node)
        if nxt is None:
            continue
        t = net.x_t[nxt] if nxt < net.n_x else net.z_t[nxt - net.z0]
        heapq.heappush(heap, (int(t), int(rank[b]), b, nxt))
    _demand_values(net, g.values)
    return g.values

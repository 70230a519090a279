"""The hand-made baseline: the best-scored free site for each batch, in date order.

This is what a person does without an optimiser: take the batches in the
order they become free; put each on the best-scored site that fits and has
room until its term ends (the nearest first among equal scores); when that
term ends, look again among the sites it can move to directly, else store
it and look again whenever it could be placed. It walks the same network as
the optimiser, so its plan is a feasible solution of the same model and is
handed to the solver as its start.
"""

from __future__ import annotations

import heapq

import numpy as np

from kansenkaart.match.network import MOVE, PLACE, STORAGE, TO_STORAGE, Network

__all__ = ["greedy_plan"]


class _Greedy:
    def __init__(self, net: Network) -> None:
        self.net = net
        order = np.argsort(net.arc_tail, kind="stable")
        self.arc_order = order
        n_nodes = net.n_p + len(net.z_batch)
        self.first = np.searchsorted(net.arc_tail[order], np.arange(n_nodes + 1))
        self.cap = np.repeat(
            net.sites["capacity"].to_numpy(float)[:, None], net.horizon.n, axis=1
        )
        self.u = net.batches["units"].to_numpy(float)
        self.score = np.nan_to_num(net.sites["score"].to_numpy(float), nan=-1.0)
        self.values = np.zeros(net.n_cols)

    def out_arcs(self, node: int, kinds: tuple[int, ...]) -> np.ndarray:
        arcs = self.arc_order[self.first[node] : self.first[node + 1]]
        return arcs[np.isin(self.net.arc_kind[arcs], kinds)]

    def room(self, arc: int, b: int) -> bool:
        net = self.net
        end = net.pair_e[net.arc_head[arc]]
        return bool(
            np.all(self.cap[net.arc_dst[arc], net.arc_arr[arc] : end] >= self.u[b])
        )

    def choose(self, node: int, b: int) -> int | None:
        """The arrival arc to the best-scored site with room, nearest first."""
        net = self.net
        arcs = self.out_arcs(node, (PLACE, MOVE))
        arcs = arcs[[self.room(int(a), b) for a in arcs]] if len(arcs) else arcs
        if not len(arcs):
            return None
        site = net.arc_dst[arcs]
        best = np.lexsort((site, net.arc_km[arcs], -self.score[site]))
        return int(arcs[best[0]])

    def settle(self, arc: int, b: int) -> int:
        """Take an arrival arc; the batch stays to the end of the term."""
        net, v = self.net, self.values
        v[net.a0 + arc] = 1
        node = int(net.arc_head[arc])
        v[node] = 1
        site = net.arc_dst[arc]
        v[net.o0 + np.searchsorted(net.open_site, site)] = 1
        self.cap[site, net.arc_arr[arc] : net.pair_e[node]] -= self.u[b]
        return node

    def wait(self, node: int) -> int | None:
        arcs = self.out_arcs(node, (STORAGE, TO_STORAGE))
        if not len(arcs):
            return None
        arc = int(arcs[0])
        self.values[self.net.a0 + arc] = 1
        head = int(self.net.arc_head[arc])
        self.values[head] = 1
        return head

    def time_of(self, node: int) -> int:
        net = self.net
        if node < net.n_p:
            return int(net.pair_e[node]) - 1
        return int(net.z_t[node - net.z0])


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
        Fixes (``--fix``) are not followed: the baseline is the plan made
        without the session's questions.
    """
    g = _Greedy(net)
    order = np.lexsort(
        (net.batches["batch_id"].to_numpy(), net.batches["free_from"].to_numpy())
    )
    rank = np.argsort(order)
    heap = []
    for node in np.flatnonzero(net.lower[net.z0 : net.a0] == 1) + net.z0:
        b = int(net.z_batch[node - net.z0])
        g.values[node] = 1
        heapq.heappush(heap, (g.time_of(int(node)), int(rank[b]), b, int(node)))
    while heap:
        _, _, b, node = heapq.heappop(heap)
        arc = g.choose(node, b)
        nxt = g.settle(arc, b) if arc is not None else g.wait(node)
        if nxt is not None:
            heapq.heappush(heap, (g.time_of(nxt), int(rank[b]), b, nxt))
    _demand_values(net, g.values)
    return g.values

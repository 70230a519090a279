"""Solve the match MILP with HiGHS (highspy), started from the greedy plan.

The greedy plan is handed to HiGHS as a first feasible solution, so the
optimiser's plan is never worse than the baseline, also when the time limit
stops it early. Infeasible or unbounded models, which the network's elastic
form should never produce, end in a :class:`MatchError` naming the likely
cause instead of a solver dump.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from dataclasses import dataclass

import highspy
import numpy as np

from kansenkaart.errors import KansenkaartError
from kansenkaart.match.network import Network

__all__ = ["MatchError", "Solution", "check_feasible", "solve_network"]

logger = logging.getLogger(__name__)


class MatchError(KansenkaartError, ValueError):
    """A match cannot be planned as asked (infeasible demand or fixes)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Solution:
    """Column values and the solver's figures (objective is maximised)."""

    values: np.ndarray
    status: str
    objective: float
    bound: float
    gap: float
    solve_s: float
    nodes: int


def _csr(net: Network) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    order = np.lexsort((net.cols, net.rows))
    rows, cols, vals = net.rows[order], net.cols[order], net.vals[order]
    start = np.searchsorted(rows, np.arange(net.n_rows + 1)).astype(np.int32)
    return start, cols.astype(np.int32), vals


def _new_highs() -> highspy.Highs:
    """A HiGHS instance; its one-time banner on stdout is kept out of our output."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            h = highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    return h


def _model(net: Network) -> highspy.Highs:
    h = _new_highs()
    h.setOptionValue("output_flag", False)
    start, index, value = _csr(net)
    integrality = net.integer.astype(np.int32)
    status = h.passModel(
        net.n_cols,
        net.n_rows,
        len(value),
        2,
        -1,
        0.0,
        net.cost,
        net.lower,
        net.upper,
        net.row_lower,
        net.row_upper,
        start,
        index,
        value,
        integrality,
    )
    if status == highspy.HighsStatus.kError:  # pragma: no cover - model is built by us
        msg = "HiGHS refused the match model; this is a bug in kansenkaart.match."
        raise KansenkaartError(msg)
    return h


def check_feasible(net: Network, values: np.ndarray, *, tol: float = 1e-6) -> list[str]:
    """Return the violated bounds and rows of ``values`` (empty when feasible)."""
    problems = []
    if np.any(values < net.lower - tol) or np.any(values > net.upper + tol):
        problems.append("column bounds")
    activity = np.bincount(
        net.rows, weights=net.vals * values[net.cols], minlength=net.n_rows
    )
    bad = (activity < net.row_lower - tol) | (activity > net.row_upper + tol)
    for kind in np.unique(net.row_kind[bad]):
        problems.append(
            f"rows of kind {kind}: {int((net.row_kind[bad] == kind).sum())}"
        )
    return problems


def solve_network(
    net: Network,
    *,
    start: np.ndarray | None = None,
    time_limit_s: float | None = None,
    mip_gap: float | None = None,
    threads: int | None = None,
) -> Solution:
    """Solve the network's MILP.

    Parameters
    ----------
    net : Network
        From :func:`kansenkaart.match.network.build_network`.
    start : numpy.ndarray, optional
        A feasible column vector (the greedy plan) to start from.
    time_limit_s, mip_gap : float, optional
        Stop after this many seconds or at this relative gap; the policy's
        values when omitted.
    threads : int, optional
        Solver threads (HiGHS's default when omitted).

    Returns
    -------
    Solution

    Raises
    ------
    MatchError
        When HiGHS reports the model infeasible or unbounded, or finds no
        plan within the time limit.
    """
    h = _model(net)
    h.setOptionValue("time_limit", float(time_limit_s or net.policy.time_limit_s))
    h.setOptionValue(
        "mip_rel_gap", float(mip_gap if mip_gap is not None else net.policy.mip_gap)
    )
    h.setOptionValue("random_seed", 0)
    h.setOptionValue("presolve", "on" if net.policy.presolve else "off")
    if threads:
        h.setOptionValue("threads", int(threads))
    if start is not None:
        sol = highspy.HighsSolution()
        sol.col_value = list(start)
        sol.value_valid = True
        h.setSolution(sol)
    began = time.perf_counter()
    h.run()
    elapsed = time.perf_counter() - began
    status = h.modelStatusToString(h.getModelStatus())
    info = h.getInfo()
    if h.getModelStatus() in (
        highspy.HighsModelStatus.kInfeasible,
        highspy.HighsModelStatus.kUnboundedOrInfeasible,
        highspy.HighsModelStatus.kUnbounded,
    ):
        msg = (
            f"the match model is {status.lower()}: check the --fix options (two "
            "fixes for one batch in one period, or fixes that leave no way "
            "between them) and the demand file."
        )
        raise MatchError(msg)
    if info.primal_solution_status != 2:  # 2 = feasible
        msg = (
            f"HiGHS found no plan within {time_limit_s or net.policy.time_limit_s:g} s "
            f"({status}); raise --time-limit or plan fewer periods."
        )
        raise MatchError(msg)
    values = np.asarray(h.getSolution().col_value)
    logger.info(
        "HiGHS: %s, objective %.0f, bound %.0f, gap %.4f in %.1f s",
        status,
        info.objective_function_value,
        info.mip_dual_bound,
        info.mip_gap,
        elapsed,
    )
    return Solution(
        values=values,
        status=status,
        objective=float(info.objective_function_value),
        bound=float(info.mip_dual_bound),
        gap=float(max(info.mip_gap, 0.0)),
        solve_s=elapsed,
        nodes=int(info.mip_node_count),
    )

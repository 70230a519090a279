"""Charts of a scan result, for people who would rather look than read tables.

Three charts (matplotlib, no display needed), written as PNG and SVG into the
result folder and shown in the map's side panel:

``chart_scores``
    The distribution of scores of the scored candidates, and how many
    candidates ended scored, unknown and excluded.
``chart_rank_intervals``
    After a sensitivity run: the 5th-95th percentile of the rank of each of
    the top 20 candidates when the weights vary.
``chart_contributions``
    The points each score criterion contributes to the top 20, stacked.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from kansenkaart.results.model import OUTCOME_ORDER

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from kansenkaart.results.model import ScanResult

__all__ = ["CHART_NAMES", "TOP_N", "result_charts", "write_charts"]

#: Candidates shown in the rank-interval and contribution charts.
TOP_N = 20
#: File stems of the charts (``.png`` and ``.svg`` each).
CHART_NAMES: tuple[str, ...] = (
    "chart_scores",
    "chart_rank_intervals",
    "chart_contributions",
)
_OUTCOME_NL = {"scored": "gescoord", "unknown": "onbekend", "excluded": "uitgesloten"}
_OUTCOME_COLOR = {"scored": "#2c7fb8", "unknown": "#c51b7d", "excluded": "#a0a0a0"}


def _figure(height: float) -> Figure:
    from matplotlib.figure import Figure  # noqa: PLC0415 - only when charts are made

    return Figure(figsize=(6.4, height), dpi=100, layout="constrained")


def _top(candidates: pd.DataFrame) -> pd.DataFrame:
    scored = candidates[candidates["outcome"] == "scored"]
    rank = pd.to_numeric(scored["rank"], errors="coerce")
    return scored.loc[rank.sort_values(kind="stable").index].head(TOP_N)


def _scores(result: ScanResult) -> Figure | None:
    cand = result.candidates
    fig = _figure(3.0)
    hist, bars = fig.subplots(1, 2, width_ratios=[2, 1])
    scores = pd.to_numeric(cand.loc[cand["outcome"] == "scored", "score"])
    hist.hist(
        scores.dropna(), bins=np.arange(0, 105, 5), color=_OUTCOME_COLOR["scored"]
    )
    hist.set(xlabel="score (0-100)", ylabel="kandidaten", title="Scores (gescoord)")
    counts = cand["outcome"].value_counts()
    names = list(OUTCOME_ORDER)
    bars.barh(
        [_OUTCOME_NL[o] for o in names],
        [int(counts.get(o, 0)) for o in names],
        color=[_OUTCOME_COLOR[o] for o in names],
    )
    bars.invert_yaxis()
    bars.set(xlabel="kandidaten", title="Uitkomsten")
    return fig


def _rank_intervals(result: ScanResult) -> Figure | None:
    top = _top(result.candidates)
    if "rank_p5" not in top or top.empty or top["rank_p5"].isna().all():
        return None
    fig = _figure(0.6 + 0.22 * len(top))
    ax = fig.subplots()
    y = np.arange(len(top))
    low = pd.to_numeric(top["rank_p5"]).to_numpy(dtype=float, na_value=np.nan)
    high = pd.to_numeric(top["rank_p95"]).to_numpy(dtype=float, na_value=np.nan)
    ax.hlines(y, low, high, color=_OUTCOME_COLOR["scored"], linewidth=3)
    ax.plot(pd.to_numeric(top["rank"]).to_numpy(dtype=float), y, "k|", markersize=10)
    ax.set_yticks(y, [str(i) for i in top.index], fontsize=7)
    ax.invert_yaxis()
    ax.set(xlabel="rang (streep: p5-p95 bij wisselende gewichten, |: rang)")
    ax.set_title(f"Rang-interval van de top {len(top)}", fontsize=10)
    return fig


def _contributions(result: ScanResult) -> Figure | None:
    top = _top(result.candidates)
    columns = [c for c in top.columns if str(c).startswith("pts_")]
    if top.empty or not columns:
        return None
    fig = _figure(0.9 + 0.22 * len(top))
    ax = fig.subplots()
    y = np.arange(len(top))
    left = np.zeros(len(top))
    colors = ["#253494", "#41b6c4", "#fdae61", "#a1dab4", "#d7191c", "#2c7fb8"]
    for k, column in enumerate(columns):
        pts = pd.to_numeric(top[column]).fillna(0).to_numpy(dtype=float)
        ax.barh(y, pts, left=left, color=colors[k % len(colors)], label=column[4:])
        left += pts
    ax.set_yticks(y, [str(i) for i in top.index], fontsize=7)
    ax.invert_yaxis()
    ax.set(xlabel="punten", xlim=(0, 100))
    ax.set_title(f"Bijdrage per criterium, top {len(top)}", fontsize=10)
    ax.legend(fontsize=7, loc="lower right")
    return fig


_MAKERS: dict[str, tuple[str, Callable[[ScanResult], Figure | None]]] = {
    "chart_scores": ("Scores en uitkomsten", _scores),
    "chart_rank_intervals": (
        "Rang-interval van de top 20 (gevoeligheid)",
        _rank_intervals,
    ),
    "chart_contributions": ("Bijdrage per criterium, top 20", _contributions),
}


def _render(fig: Figure, kind: str) -> bytes:
    from matplotlib import rc_context  # noqa: PLC0415

    buf = io.BytesIO()
    meta = {"Date": None} if kind == "svg" else {"Software": None}
    with rc_context({"svg.fonttype": "none", "svg.hashsalt": "kansenkaart"}):
        fig.savefig(buf, format=kind, metadata=meta)
    return buf.getvalue()


def _charts(result: ScanResult) -> dict[str, tuple[str, Figure]]:
    out = {}
    for name, (title, make) in _MAKERS.items():
        fig = make(result)
        if fig is not None:
            out[name] = (title, fig)
    return out


def result_charts(result: ScanResult, *, kind: str = "svg") -> list[dict[str, Any]]:
    """The charts of a result as base64 images, for the map's side panel.

    Parameters
    ----------
    result : ScanResult
        The scan result.
    kind : {"svg", "png"}
        Image format.

    Returns
    -------
    list of dict
        ``{"name", "title", "svg"}`` per chart that applies (``svg`` holds
        the base64 image of ``kind``).
    """
    return [
        {
            "name": name,
            "title": title,
            "svg": base64.b64encode(_render(fig, kind)).decode("ascii"),
        }
        for name, (title, fig) in _charts(result).items()
    ]


def write_charts(result: ScanResult, folder: Path) -> list[Path]:
    """Write each chart that applies as PNG and SVG into ``folder``.

    Returns
    -------
    list of Path
        The files written.
    """
    written = []
    for name, (_, fig) in _charts(result).items():
        for kind in ("png", "svg"):
            path = Path(folder) / f"{name}.{kind}"
            path.write_bytes(_render(fig, kind))
            written.append(path)
    return written

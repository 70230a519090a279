"""The timeline chart: a Gantt of batches over sites (PNG and SVG, matplotlib).

Drawn with the non-interactive Agg backend; the SVG carries no date and a
fixed hash salt, so the same plan gives the same file.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib as mpl
import numpy as np
import pandas as pd

mpl.use("Agg")
import matplotlib.pyplot as plt

if TYPE_CHECKING:
    from kansenkaart.match.run import MatchResult

__all__ = ["write_timeline"]

_STORAGE = "#d9d9d9"


def _bars(periods: pd.DataFrame) -> pd.DataFrame:
    """Runs of equal (batch, place) as (batch, place, start, end) bars."""
    p = periods[periods.status.isin(["op locatie", "opslag"])].copy()
    p["place"] = p.site_id.where(p.site_id != "", "opslag")
    p["start"] = pd.to_datetime(p.period_start)
    key = p.batch_id + "|" + p.place
    new = key.ne(key.shift()) | (p.start.diff() > pd.Timedelta(days=400))
    p["run"] = new.cumsum()
    return p.groupby("run").agg(
        batch_id=("batch_id", "first"),
        place=("place", "first"),
        start=("start", "min"),
        last=("start", "max"),
    )


def write_timeline(result: MatchResult, stem: Path) -> tuple[Path, Path]:
    """Write ``stem.png`` and ``stem.svg``: one row per batch, bars per site.

    Parameters
    ----------
    result : MatchResult
        The match.
    stem : Path
        Path without suffix.

    Returns
    -------
    tuple of Path
        The PNG and the SVG.
    """
    h = result.network.horizon
    step = pd.DateOffset(months={"month": 1, "quarter": 3, "year": 12}[h.period])
    bars = _bars(result.plan.periods)
    batches = list(dict.fromkeys(result.plan.periods.batch_id))
    places = sorted(set(bars.place) - {"opslag"})
    cmap = plt.get_cmap("tab20")
    colours = {p: cmap(k % 20) for k, p in enumerate(places)} | {"opslag": _STORAGE}
    style = {"svg.hashsalt": "kansenkaart", "svg.fonttype": "none", "font.size": 8}
    with mpl.rc_context(style):
        fig, ax = plt.subplots(figsize=(11, 1.2 + 0.32 * len(batches)), dpi=110)
        for bar in bars.itertuples():
            y = batches.index(bar.batch_id)
            start, end = bar.start, bar.last + step
            ax.barh(
                y,
                (end - start).days,
                left=start,
                height=0.7,
                color=colours[bar.place],
                edgecolor="#333",
                linewidth=0.4,
            )
            if (end - start).days > 500:
                ax.text(
                    start + (end - start) / 2,
                    y,
                    str(bar.place)[-12:],
                    ha="center",
                    va="center",
                    fontsize=6,
                )
        ax.set_yticks(np.arange(len(batches)), batches)
        ax.invert_yaxis()
        ax.set_xlim(pd.Timestamp(h.starts[0]), pd.Timestamp(h.end))
        ax.set_xlabel("periode")
        ax.set_title("Tijdlijn: batches per locatie (grijs = opslag)")
        ax.grid(axis="x", color="#ddd", linewidth=0.5)
        fig.tight_layout()
        png, svg = stem.with_suffix(".png"), stem.with_suffix(".svg")
        fig.savefig(png, metadata={"Software": None})
        fig.savefig(svg, metadata={"Date": None})
        plt.close(fig)
    return png, svg

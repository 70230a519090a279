"""Write a match into its output folder, all or nothing.

``plan.csv`` (one row per batch and period), ``moves.csv``, ``plan.xlsx``
(sheets plan, verhuizingen, greedy, samenvatting), ``chains.gpkg`` (layers
``chains``: lines between consecutive places of a batch, with dates, and
``sites``), ``summary.json``, ``timeline.png``/``timeline.svg`` and, when
asked, ``map.html``. The folder follows the result folder contract of
:mod:`kansenkaart.results.folder` (kind ``match``: marker file, written
beside ``out`` and swapped in when complete, ``--overwrite`` only replacing a
folder kansenkaart wrote and never one holding an input); identical inputs
give byte-identical CSV, JSON and SVG files.
"""

from __future__ import annotations

import json
import logging
import shutil
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from kansenkaart.crs import RD_NEW
from kansenkaart.match.run import MatchResult
from kansenkaart.results.folder import (
    check_output_dir,
    swap_into_place,
    write_marker,
)

__all__ = ["chain_lines", "write_match"]

logger = logging.getLogger(__name__)

PLAN_COLUMNS = [
    "batch_id",
    "period_start",
    "site_id",
    "units",
    "period",
    "status",
    "parent_id",
    "unit_type",
]
MOVE_COLUMNS = [
    "batch_id",
    "kind",
    "from_site",
    "to_site",
    "depart",
    "arrive",
    "arrive_date",
    "distance_km",
    "cost_eur",
    "explanation_nl",
]


def chain_lines(result: MatchResult) -> gpd.GeoDataFrame:
    """Return every move and placement as a line in EPSG:28992.

    Placements start at the batch's depot (where it stood or was stored).
    """
    net, moves = result.network, result.plan.moves
    sx, sy = net.sites["x"].to_numpy(float), net.sites["y"].to_numpy(float)
    bx, by = net.batches["x"].to_numpy(float), net.batches["y"].to_numpy(float)
    f, t, b = (
        moves["from_i"].to_numpy(),
        moves["to_i"].to_numpy(),
        moves["lot_i"].to_numpy(),
    )
    x0 = np.where(f >= 0, sx[np.maximum(f, 0)], bx[b])
    y0 = np.where(f >= 0, sy[np.maximum(f, 0)], by[b])
    x1 = np.where(t >= 0, sx[np.maximum(t, 0)], bx[b])
    y1 = np.where(t >= 0, sy[np.maximum(t, 0)], by[b])
    coords = np.stack([np.c_[x0, y0], np.c_[x1, y1]], axis=1)
    lines = shapely.linestrings(coords)
    return gpd.GeoDataFrame(moves[MOVE_COLUMNS].copy(), geometry=lines, crs=RD_NEW)


def site_points(result: MatchResult) -> gpd.GeoDataFrame:
    """Return the sites as points with their use in the plan."""
    net, periods = result.network, result.plan.periods
    used = periods[periods.site_id != ""]
    unit_periods = used.groupby("site_id")["units"].sum()
    batches = used.groupby("site_id")["batch_id"].agg(
        lambda s: ", ".join(sorted(set(s)))
    )
    s = net.sites
    frame = pd.DataFrame(
        {
            "site_id": s["site_id"],
            "capacity": s["capacity"],
            "score": s["score"],
            "region": s["region"],
            "available_from": pd.to_datetime(s["available_from"]).dt.strftime(
                "%Y-%m-%d"
            ),
            "available_to": pd.to_datetime(s["available_to"]).dt.strftime("%Y-%m-%d"),
            "unit_years": s["site_id"].map(unit_periods).fillna(0).to_numpy()
            * net.horizon.years_per_period,
            "batches": s["site_id"].map(batches).fillna("").to_numpy(),
        }
    )
    return gpd.GeoDataFrame(frame, geometry=shapely.points(s["x"], s["y"]), crs=RD_NEW)


def _write_tables(result: MatchResult, tmp: Path) -> None:
    periods = result.plan.periods[PLAN_COLUMNS]
    moves = result.plan.moves[MOVE_COLUMNS]
    periods.to_csv(tmp / "plan.csv", index=False, lineterminator="\n")
    moves.to_csv(tmp / "moves.csv", index=False, lineterminator="\n")
    summary = pd.DataFrame(
        [
            ("optimaal", *_row(result.plan.figures)),
            ("greedy", *_row(result.greedy.figures)),
        ],
        columns=[
            "plan",
            "units_housed",
            "unit_years_housed",
            "moves",
            "cost_eur",
            "objective",
        ],
    )
    with pd.ExcelWriter(tmp / "plan.xlsx", engine="openpyxl") as xlsx:
        periods.to_excel(xlsx, sheet_name="plan", index=False)
        moves.to_excel(xlsx, sheet_name="verhuizingen", index=False)
        result.greedy.moves[MOVE_COLUMNS].to_excel(
            xlsx, sheet_name="greedy", index=False
        )
        summary.to_excel(xlsx, sheet_name="samenvatting", index=False)


def _row(fig: dict[str, Any]) -> tuple:
    return (
        fig["units_housed"],
        fig["unit_years_housed"],
        fig["moves"],
        fig["cost_eur"],
        fig["objective"],
    )


def _write_all(
    result: MatchResult, tmp: Path, map_options: dict[str, Any] | None
) -> None:
    from kansenkaart.match.chart import write_timeline  # noqa: PLC0415

    _write_tables(result, tmp)
    chain_lines(result).to_file(
        tmp / "chains.gpkg", layer="chains", driver="GPKG", engine="pyogrio"
    )
    site_points(result).to_file(
        tmp / "chains.gpkg", layer="sites", driver="GPKG", engine="pyogrio"
    )
    (tmp / "summary.json").write_text(
        json.dumps(result.summary, ensure_ascii=False, indent=2, default=str) + "\n",
        encoding="utf-8",
    )
    write_timeline(result, tmp / "timeline")
    if map_options is not None:
        from kansenkaart.match._map import write_chain_map  # noqa: PLC0415

        write_chain_map(result, tmp / "map.html", **map_options)


def write_match(
    result: MatchResult,
    out_dir: str | Path,
    *,
    overwrite: bool = False,
    map_options: dict[str, Any] | None = None,
    inputs: Iterable[Path] = (),
) -> Path:
    """Write the plan, chains, chart, summary (and map) into ``out_dir``.

    Parameters
    ----------
    result : MatchResult
        From :func:`kansenkaart.match.run_match`.
    out_dir : str or Path
        Folder to create.
    overwrite : bool, default False
        Replace ``out_dir`` when it exists and holds only what kansenkaart
        wrote (see :func:`kansenkaart.results.folder.check_output_dir`).
    map_options : dict, optional
        ``recipient`` and ``passphrase`` for ``map.html``; no map when None.
    inputs : iterable of Path, optional
        The input files and folders: a folder holding one is never replaced.

    Returns
    -------
    Path
        The folder.

    Raises
    ------
    ConfigError
        When ``out_dir`` exists (without ``overwrite``), holds files
        kansenkaart did not write, holds an input, or cannot be written.
    """
    out = Path(out_dir)
    check_output_dir(out, overwrite=overwrite, inputs=inputs)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.tmp-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        _write_all(result, tmp, map_options)
        write_marker(tmp, kind="match")
        swap_into_place(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    logger.info("match written to %s", out)
    return out

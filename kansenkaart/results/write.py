"""Write a scan result folder: GeoPackage, CSV, Excel and a JSON summary.

Outputs are written into a temporary folder beside the target and moved into
place only when complete, so a failed run never leaves half-written files.
"""

from __future__ import annotations

import json
import logging
import shutil
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely

from kansenkaart.errors import ConfigError
from kansenkaart.results.charts import write_charts
from kansenkaart.results.csvtext import write_csv
from kansenkaart.results.folder import check_output_dir, swap_into_place, write_marker
from kansenkaart.results.model import ScanResult, order_candidates
from kansenkaart.results.styles import write_layer_styles

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["check_output_dir", "write_results"]

logger = logging.getLogger(__name__)


def _table(cand: gpd.GeoDataFrame) -> pd.DataFrame:
    pts = shapely.point_on_surface(np.asarray(cand.geometry.values))
    table = pd.DataFrame(cand.drop(columns="geometry"))
    table["x"] = np.round(shapely.get_x(pts), 2)
    table["y"] = np.round(shapely.get_y(pts), 2)
    return table.reset_index()


def _write_xlsx(table: pd.DataFrame, path: Path, summary: dict[str, Any]) -> None:
    from openpyxl.styles import Font, PatternFill  # noqa: PLC0415
    from openpyxl.utils import get_column_letter  # noqa: PLC0415

    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        table.to_excel(writer, sheet_name="kandidaten", index=False)
        rules = pd.DataFrame(summary["rules"]).reindex(
            columns=[
                "id",
                "title",
                "kind",
                "weight",
                "source",
                "rationale",
                "note",
                "status",
                "decided",
                "undecided",
            ]
        )
        rules.to_excel(writer, sheet_name="regels", index=False)
        for sheet in writer.book.worksheets:
            sheet.freeze_panes = "B2"
            sheet.auto_filter.ref = sheet.dimensions
            for cell in sheet[1]:
                cell.font = Font(bold=True, color="FFFFFF")
                cell.fill = PatternFill("solid", fgColor="1F4E79")
            for i, col in enumerate(sheet.iter_cols(min_row=1, max_row=50), start=1):
                width = max(len(str(c.value or "")) for c in col)
                sheet.column_dimensions[get_column_letter(i)].width = min(
                    max(width + 2, 8), 60
                )


def _context_frames(result: ScanResult) -> dict[str, gpd.GeoDataFrame]:
    """The context layers for the map, near the candidates, by output name."""
    import geopandas as gpd  # noqa: PLC0415

    out = {}
    bounds = shapely.box(*result.candidates.total_bounds).buffer(250)
    for name, layer in result.context.items():
        if not isinstance(layer, gpd.GeoDataFrame) or not len(layer):
            continue
        part = layer[layer.intersects(bounds)]
        if name == "zoning":
            part = part[part["object_type"] == "Enkelbestemming"][
                ["main_group", "name", "plan_id", "geometry"]
            ]
        elif name == "buildings":
            part = part[["building_id", "geometry"]]
        elif name == "municipalities":
            part = part[["code", "name", "geometry"]]
        out["boundary" if name == "municipalities" else name] = part
    return out


def _write_context(result: ScanResult, path: Path) -> None:
    for layer_name, part in _context_frames(result).items():
        part.to_file(path, layer=layer_name, driver="GPKG", engine="pyogrio")


def _write_postgis(result: ScanResult, url: str, *, overwrite: bool) -> str:
    """Candidates, context and summary into one schema, in one transaction."""
    from kansenkaart.io.postgis import write_frames  # noqa: PLC0415

    summary = json.dumps(result.summary, ensure_ascii=False, default=str)
    frames: dict[str, pd.DataFrame] = {
        "candidates": order_candidates(result.candidates).reset_index(),
        **{f"context_{k}": v for k, v in _context_frames(result).items()},
        "summary": pd.DataFrame({"summary_json": [summary]}),
    }
    if result.leave_one_out is not None:
        frames["leave_one_rule_out"] = result.leave_one_out
    return write_frames(url, frames, overwrite=overwrite)


def write_results(
    result: ScanResult,
    out_dir: str | Path,
    *,
    overwrite: bool = False,
    finish: Callable[[Path], None] | None = None,
    inputs: Iterable[Path] = (),
) -> Path | str:
    """Write ``result`` into ``out_dir``, all or nothing.

    Writes ``candidates.gpkg`` (layer ``candidates``), ``candidates.csv``
    (with x/y of a representative point, byte-identical for identical
    inputs), ``candidates.xlsx``, ``summary.json``, ``context.gpkg`` (layers
    for the map), the charts (``chart_*.png`` and ``.svg``, see
    :mod:`kansenkaart.results.charts`) and, with sensitivity,
    ``leave_one_rule_out.csv``; with
    ``map_options`` also ``map.html``; and the marker file of
    :mod:`kansenkaart.results.folder`. ``overwrite`` replaces only a previous
    result folder (see :func:`~kansenkaart.results.folder.check_output_dir`;
    ``inputs`` are the files a replaced folder must not hold).

    With ``out_dir`` a PostGIS URL (``postgresql://...?schema=NAME``) the
    candidates, context layers and summary become tables of that schema,
    written in one transaction (see :func:`kansenkaart.io.postgis.write_frames`).

    Returns
    -------
    Path or str
        The output folder (or the schema URL, without password).
    """
    if isinstance(out_dir, str) and out_dir.startswith(("postgresql:", "postgres:")):
        if finish is not None:
            msg = "--map writes a file: give a folder as --out, or leave --map off."
            raise ConfigError(msg)
        return _write_postgis(result, out_dir, overwrite=overwrite)
    out_dir = Path(out_dir)
    check_output_dir(out_dir, overwrite=overwrite, inputs=inputs)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_dir.parent / f".{out_dir.name}.tmp-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        cand = order_candidates(result.candidates)
        cand.to_file(
            tmp / "candidates.gpkg", layer="candidates", driver="GPKG", engine="pyogrio"
        )
        write_layer_styles(tmp / "candidates.gpkg")
        table = _table(cand)
        with (tmp / "candidates.csv").open("wb") as fh:
            write_csv(table, fh)
        _write_xlsx(table, tmp / "candidates.xlsx", result.summary)
        if result.leave_one_out is not None:
            result.leave_one_out.to_csv(
                tmp / "leave_one_rule_out.csv", index=False, lineterminator="\n"
            )
        _write_context(result, tmp / "context.gpkg")
        write_charts(result, tmp)
        (tmp / "summary.json").write_text(
            json.dumps(result.summary, ensure_ascii=False, indent=2, default=str),
            encoding="utf-8",
        )
        if finish is not None:
            finish(tmp)
        write_marker(tmp)
        swap_into_place(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    logger.info("results written to %s", out_dir)
    return out_dir

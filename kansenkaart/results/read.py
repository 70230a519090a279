"""Read a scan result folder back: candidates, summary and context.

The scan engine writes ``candidates.gpkg`` (layer ``candidates``),
``summary.json`` and, optionally, ``context.gpkg``. This module checks that
contract once, so the map and later steps can rely on it.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import geopandas as gpd

from kansenkaart.crs import ensure_rd_new
from kansenkaart.errors import DataSourceError, SchemaError
from kansenkaart.io._vector import list_layers, read_vector
from kansenkaart.results.model import (
    CONTEXT_LAYERS,
    FIXED_COLUMNS,
    OUTCOME_ORDER,
    ScanResult,
)

__all__ = ["read_result"]

SUMMARY_KEYS = ("scan", "created", "rules")

logger = logging.getLogger(__name__)


def read_result(result_dir: Path) -> ScanResult:
    """Read and check the files of one scan result folder.

    Parameters
    ----------
    result_dir : Path
        Folder written by a scan.

    Returns
    -------
    ScanResult
        Candidates and context layers in EPSG:28992, and the parsed summary.

    Raises
    ------
    DataSourceError
        When the folder, ``candidates.gpkg`` or ``summary.json`` is missing.
    SchemaError
        When required columns or summary keys are missing, or outcomes are
        not one of ``excluded``, ``scored``, ``unknown``.
    """
    result_dir = Path(result_dir)
    if not result_dir.is_dir():
        msg = f"{result_dir}: not a folder. Pass the folder a scan wrote."
        raise DataSourceError(msg)
    summary = _read_summary(result_dir / "summary.json")
    path = result_dir / "candidates.gpkg"
    candidates = ensure_rd_new(
        read_vector(path, "candidates"), source=f"{path} (candidates)"
    )
    _check_candidates(candidates, summary, source=str(path))
    candidates = candidates.set_index("candidate_id")
    candidates.index = candidates.index.astype(str)
    context = _read_context(result_dir / "context.gpkg")
    logger.info(
        "read %d candidates and %d context layers from %s (EPSG:28992)",
        len(candidates),
        len(context),
        result_dir,
    )
    return ScanResult(candidates=candidates, summary=summary, context=context)


def _read_summary(path: Path) -> dict[str, Any]:
    if not path.is_file():
        msg = f"{path}: not found. Is this the folder a scan wrote?"
        raise DataSourceError(msg)
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        msg = f"{path}: cannot be read as JSON ({err})."
        raise DataSourceError(msg) from err
    missing = [key for key in SUMMARY_KEYS if key not in summary]
    if missing:
        msg = f"{path}: missing keys {', '.join(missing)}. Run the scan again."
        raise SchemaError(msg)
    return dict(summary)


def _check_candidates(
    candidates: gpd.GeoDataFrame, summary: dict[str, Any], *, source: str
) -> None:
    rule_ids = [str(rule["id"]) for rule in summary["rules"]]
    missing = [c for c in (*FIXED_COLUMNS, *rule_ids) if c not in candidates]
    problems = []
    if missing:
        problems.append(f"missing columns: {', '.join(missing)}")
    elif not candidates["outcome"].isin(OUTCOME_ORDER).all():
        bad = candidates.loc[~candidates["outcome"].isin(OUTCOME_ORDER)]
        ids = ", ".join(map(str, bad["candidate_id"].head(5)))
        problems.append(
            f"{len(bad)} candidates have an outcome other than "
            f"excluded/scored/unknown (first: {ids})"
        )
    if problems:
        msg = f"{source}: " + "; ".join(problems) + ". Run the scan again."
        raise SchemaError(msg)


def _read_context(path: Path) -> dict[str, gpd.GeoDataFrame]:
    if not path.is_file():
        return {}
    present = set(list_layers(path))
    context = {}
    for name in CONTEXT_LAYERS:
        if name in present:
            gdf = read_vector(path, name)
            context[name] = ensure_rd_new(gdf, source=f"{path} ({name})")
    return context

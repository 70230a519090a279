"""Sites from a locatiescan result folder (``--sites RESULT_DIR``).

The locatiescan writes no capacity column: its capacity rule
(``LOC-CAPACITEIT``) counts units from the area at a density
(``units_per_ha``, 30 in the shipped scan) and vetoes sites below
``min_units``. The match uses the same assumption: capacity = floor(area in
ha x ``units_per_ha``), with the density read from the scan's summary (the
rule's parameters), else the given default. The area is the candidate's
``area_m2`` where known, else the area of its geometry (RD New m²). Only
*scored* candidates become sites; their score is the scan's score, their
region the municipality. The scan knows no terms: every site is available
from ``available_from`` for ``years`` years (the scan's ``horizon_years``
when not given); edit the columns afterwards for real terms.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from kansenkaart.errors import SchemaError
from kansenkaart.match.model import SiteTable
from kansenkaart.match.read import sha256_of
from kansenkaart.results.read import read_result

__all__ = ["sites_from_result"]

logger = logging.getLogger(__name__)

_CAPACITY_RULE = "LOC-CAPACITEIT"


def _density(summary: dict, default: float) -> float:
    for rule in summary.get("rules", []):
        if rule.get("id") == _CAPACITY_RULE:
            value = (rule.get("params") or {}).get("units_per_ha")
            if value:
                return float(value)
    return default


def sites_from_result(
    result_dir: str | Path,
    *,
    available_from: str = "2026-01-01",
    years: float | None = None,
    units_per_ha: float = 30.0,
    prep_eur_per_site: float = 150_000.0,
) -> SiteTable:
    """Return the scored sites of a locatiescan result folder as match sites.

    Parameters
    ----------
    result_dir : str or Path
        Folder written by ``kansenkaart scan`` (``candidates.gpkg`` and
        ``summary.json``).
    available_from : str, default "2026-01-01"
        Start of every site's term (ISO date).
    years : float, optional
        Length of the term; the scan's ``horizon_years`` (15) when omitted.
    units_per_ha : float, default 30
        Density when the scan's summary does not give one.
    prep_eur_per_site : float, default 150000
        One-off cost of opening each site (``prep_eur``).

    Returns
    -------
    SiteTable
        With the outlines in ``geometry``.

    Raises
    ------
    DataSourceError
        When the folder or its files are missing.
    SchemaError
        When the folder holds no scored candidate.
    """
    result_dir = Path(result_dir)
    result = read_result(result_dir)
    cand = result.candidates
    scored = cand[cand["outcome"] == "scored"].sort_values("rank", kind="stable")
    if scored.empty:
        msg = f"{result_dir}: the scan scored no site; there is nothing to match to."
        raise SchemaError(msg)
    density = _density(result.summary, units_per_ha)
    area = scored["area_m2"].astype(float) if "area_m2" in scored else np.nan
    area = pd.Series(area, index=scored.index).fillna(scored.geometry.area)
    term = years or float(result.summary.get("scan", {}).get("horizon_years", 15))
    start = pd.Timestamp(available_from)
    end = start + pd.DateOffset(months=round(term * 12))
    points = scored.geometry.representative_point()
    capacity = np.floor(area.to_numpy() / 10_000 * density).astype(np.int64)
    frame = pd.DataFrame(
        {
            "site_id": scored.index.astype(str).to_numpy(),
            "x": points.x.to_numpy(),
            "y": points.y.to_numpy(),
            "capacity": capacity,
            "available_from": start,
            "available_to": end,
            "score": scored["score"].astype(float).to_numpy(),
            "region": scored["municipality_name"].fillna("").astype(str).to_numpy(),
            "province": "",
            "prep_eur": np.full(len(scored), float(prep_eur_per_site)),
            "unit_types": [frozenset()] * len(scored),
            "target_groups": [frozenset()] * len(scored),
        }
    )
    logger.info(
        "%d scored sites from %s, capacity at %g units/ha (%d units in all)",
        len(frame),
        result_dir,
        density,
        int(capacity.sum()),
    )
    digest = sha256_of(result_dir / "candidates.gpkg", result_dir / "summary.json")
    return SiteTable(
        frame=frame,
        source=str(result_dir),
        sha256=digest,
        geometry=scored.geometry.reset_index(drop=True),
        attribution=tuple(str(a) for a in result.summary.get("attribution", [])),
    )

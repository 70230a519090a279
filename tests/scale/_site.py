"""Synthetic site-scan inputs shared by the scale tests.

A small province with many buildings across parcel borders, a test copy of
the shipped site scan, and a Natura 2000 layer placed so that the 1 km
buffer flag and the veto both occur and candidates near some partitions'
edges are flagged by areas outside those partitions (the halo matters).
"""

from __future__ import annotations

import functools
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from kansenkaart.datasets import scan_path
from kansenkaart.pipeline import scan_candidates
from kansenkaart.rules.definition import ScanDefinition, load_scan
from kansenkaart.rules.predicates import ScanContext
from kansenkaart.synth import generate_province

N_PARCELS = 2000
SEED = 5
CROSSING_SHARE = 0.3
REFERENCE_DATE = pd.Timestamp("2026-01-01")

#: Edits of the shipped locatiescan.toml for the test scan (old -> new text).
SCAN_EDITS = {
    # synthetic parcels (100-2,000 m²) are all below the shipped 15 units
    # (5,000 m²): with 1 unit most pass, so scores and ranks are exercised
    "params = { units_per_ha = 30, min_units = 15 }": (
        "params = { units_per_ha = 30, min_units = 1 }"
    ),
    # every synthetic parcel lies within 50 m of a building: shorter
    # distances give graded proximity scores
    "params = { full_score_distance_m = 50, zero_score_distance_m = 500 }": (
        "params = { full_score_distance_m = 5, zero_score_distance_m = 40 }"
    ),
    # the synthetic province has no monuments layer: the (then undecided)
    # monument veto flags the sites instead of making every site onbekend
    'layer = "monuments"\non_missing = "skip"\n': (
        'layer = "monuments"\non_missing = "skip"\non_unknown = "flag"\n'
    ),
}
BUFFER_PARAMS = "params = { distance_m = 1000 }"


def scan_text(buffer_m: float = 1000) -> str:
    """The test scan: the shipped site scan with :data:`SCAN_EDITS`.

    ``buffer_m`` replaces the 1 km of the Natura 2000 buffer flag (the
    longest distance of the scan, hence the halo).
    """
    text = Path(scan_path("locatiescan")).read_text(encoding="utf-8")
    edits = dict(SCAN_EDITS)
    if buffer_m != 1000:
        edits[BUFFER_PARAMS] = f"params = {{ distance_m = {buffer_m:g} }}"
    for old, new in edits.items():
        assert text.count(old) == 1, f"shipped scan changed: {old!r} not found once"
        text = text.replace(old, new)
    return text


def write_scan(path: Path, buffer_m: float = 1000) -> Path:
    """Write the test scan to ``path``."""
    path.write_text(scan_text(buffer_m), encoding="utf-8")
    return path


def natura2000(parcels: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Natura 2000 areas around the province (column ``naam``, EPSG:28992).

    One small area inside the south-east corner (veto, and the buffer flag
    for the south-east), one 800 m west and one 900 m north of the province:
    they flag candidates along the west and north edges whose partitions
    do not reach them.
    """
    x0, y0, x1, y1 = parcels.total_bounds
    return gpd.GeoDataFrame(
        {"naam": ["Binnen", "Westrand", "Noord"]},
        geometry=[
            shapely.Point(x1 - 60, y0 + 60).buffer(35),
            shapely.box(x0 - 950, y1 - 400, x0 - 800, y1 - 100),
            shapely.Point((x0 + x1) / 2, y1 + 900).buffer(25),
        ],
        crs=parcels.crs,
    )


@dataclass(frozen=True)
class Site:
    """Loaded layers and candidates of a scan on a synthetic province."""

    scan: ScanDefinition
    layers: dict[str, Any]
    candidates: gpd.GeoDataFrame

    def context(self) -> ScanContext:
        """A fresh context, as the pipeline makes one per run."""
        return ScanContext(
            layers=self.layers,
            regime=self.scan.regime,
            horizon_years=self.scan.horizon_years,
            reference_date=REFERENCE_DATE,
        )


@functools.cache
def small_site(n_parcels: int = 500, seed: int = 11) -> Site:
    """An in-memory site (no files): canonical synthetic layers, test scan."""
    prov = generate_province(n_parcels, seed=seed, crossing_share=CROSSING_SHARE)
    n2k = natura2000(prov.parcels).rename(columns={"naam": "name"})
    layers = {
        "buildings": prov.buildings,
        "parcels": prov.parcels,
        "zoning": prov.zoning,
        "ownership": prov.ownership,
        "natura2000": n2k,
    }
    with tempfile.TemporaryDirectory() as tmp:
        scan = load_scan(write_scan(Path(tmp) / "scan.toml"))
    return Site(scan, layers, scan_candidates(scan, layers))


def overlap_counts(geoms: np.ndarray, other: np.ndarray) -> np.ndarray:
    """Per geometry, the number of ``other`` features it overlaps with positive area."""
    left, right = shapely.STRtree(other).query(geoms, predicate="intersects")
    area = shapely.area(shapely.intersection(geoms[left], other[right]))
    return np.bincount(left[area > 0], minlength=len(geoms))

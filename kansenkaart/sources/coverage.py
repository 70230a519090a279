"""Where each input layer has data: one coverage polygon per layer.

A layer only tells something about a place inside its *coverage*. Outside it,
"no building" or "no monument" is not known, so a rule on that layer is not
decided there (the rule engine masks such values once, for every predicate).

Where a coverage comes from, in this order:

1. ``national = true`` for the layer in the scan file: the whole country (a
   national register such as Natura 2000 or the rijksmonumenten).
2. ``--coverage LAYER=FILE``: the union of the polygons in that file.
3. The file itself:

   * zoning: the plan boundaries (IMRO *Bestemmingsplangebied*); a plan
     without one is covered by the convex hull of its objects;
   * buildings, parcels and other vector layers: the *extent of the
     extract*, taken as the convex hull of its features. For a 3DBAG tile
     this lies just inside the tile's square; for a BAG or DKK extract cut
     to a municipality it may include concave bays of the neighbours, which
     is why an exact polygon can be given with ``--coverage``. A convex
     hull was chosen over the bounding box because it claims less where the
     extract is not rectangular, and over a buffered union of the features
     because an empty field inside an extract *is* known to be empty.

Tables (ownership, vacancy, availability) have no coverage: a candidate
missing from the table is undecided for that rule by the predicate itself.
A raster is covered where its cells have a value (the predicate leaves
no-data cells undecided); its coverage here is its bounding box.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

__all__ = [
    "Coverage",
    "combine",
    "coverage_from_file",
    "frame_coverage",
    "national",
    "not_spatial",
]


#: Share of a candidate's area that may lie outside a coverage (rounding).
COVER_TOLERANCE_SHARE = 1e-4


@dataclass(frozen=True, slots=True)
class Coverage:
    """Where one layer has data.

    Attributes
    ----------
    geometry : shapely.Geometry or None
        The covered area in EPSG:28992; ``None`` is the whole country
        (national) or "not spatial" (a table), see ``how``.
    how : str
        Dutch text: where the coverage came from.
    national : bool
        The layer covers the whole country.
    """

    geometry: shapely.Geometry | None
    how: str
    national: bool = False

    @property
    def area_m2(self) -> float | None:
        """The covered area in m² (``None`` when national or not spatial)."""
        if self.geometry is None:
            return None
        return round(float(shapely.area(self.geometry)), 1)

    def covers(self, geoms: np.ndarray) -> np.ndarray:
        """Which of ``geoms`` lie inside the coverage (vectorised).

        Inside means covered, up to :data:`COVER_TOLERANCE_SHARE` of the
        area: a zoning plane on the plan boundary may stick out by rounding
        of the coordinates only.
        """
        if self.geometry is None:
            return np.ones(len(geoms), dtype=bool)
        shapely.prepare(self.geometry)
        # fast test first (prepared); exact only for those near the boundary
        inside = np.asarray(shapely.contains_properly(self.geometry, geoms), dtype=bool)
        near = np.flatnonzero(~inside & shapely.intersects(geoms, self.geometry))
        if len(near):
            part = geoms[near]
            area = shapely.area(part)
            kept = shapely.area(shapely.intersection(part, self.geometry))
            with np.errstate(invalid="ignore", divide="ignore"):
                outside = np.where(area > 0, 1.0 - kept / area, 0.0)
            covered = np.asarray(shapely.covered_by(part, self.geometry), dtype=bool)
            inside[near] = covered | (outside <= COVER_TOLERANCE_SHARE)
        return inside

    def as_dict(self) -> dict[str, object]:
        """For summary.json: ``how``, ``national`` and ``area_m2``."""
        return {"how": self.how, "national": self.national, "area_m2": self.area_m2}


def national() -> Coverage:
    """The coverage of a layer declared ``national = true``."""
    return Coverage(None, "landelijk (national = true in het scanbestand)", True)


def not_spatial(kind: str) -> Coverage:
    """The coverage of a table or raster: decided per id or cell, no polygon."""
    how = {
        "table": "tabel: kandidaten die er niet in staan zijn niet beoordeeld",
        "raster": "raster: cellen zonder waarde zijn niet beoordeeld",
    }.get(kind, "niet ruimtelijk")
    return Coverage(None, how)


def _hull(geoms: np.ndarray) -> shapely.Geometry:
    """The convex hull of every vertex of ``geoms``, vectorised.

    Vertices inside the polygon of the extreme points in eight directions
    cannot lie on the hull and are dropped first (Akl-Toussaint), so the
    hull is taken of few points even for a million buildings.
    """
    xy = shapely.get_coordinates(geoms)
    if len(xy) > 64:
        keys = (xy[:, 0], xy[:, 1], xy[:, 0] + xy[:, 1], xy[:, 0] - xy[:, 1])
        ends = [f(k) for k in keys for f in (np.argmin, np.argmax)]
        inner = shapely.convex_hull(shapely.multipoints(xy[ends]))
        if isinstance(inner, shapely.Polygon) and not inner.is_empty:
            shapely.prepare(inner)
            xy = xy[~shapely.contains_xy(inner, xy[:, 0], xy[:, 1])]
    return shapely.convex_hull(shapely.multipoints(xy))


def _plan_boundaries(zoning: gpd.GeoDataFrame) -> shapely.Geometry:
    """Union of the plans' boundaries; the hull of a plan without one."""
    parts = []
    for _plan, objects in zoning.groupby("plan_id", sort=True):
        gebied = objects[objects["object_type"] == "Bestemmingsplangebied"]
        source = gebied if len(gebied) else objects
        geoms = np.asarray(source.geometry.values)
        parts.append(shapely.union_all(geoms) if len(gebied) else _hull(geoms))
    return shapely.union_all(parts)


def frame_coverage(kind: str, frame: gpd.GeoDataFrame) -> Coverage:
    """The coverage a vector layer gives of itself (see the module text)."""
    geoms = np.asarray(frame.geometry.values)
    geoms = geoms[~shapely.is_missing(geoms)]
    if not len(geoms):
        return Coverage(shapely.Polygon(), "leeg bestand: geen dekking")
    if kind == "zoning" and {"object_type", "plan_id"} <= set(frame.columns):
        return Coverage(
            _plan_boundaries(frame), "plangrens (Bestemmingsplangebied) per plan"
        )
    return Coverage(_hull(geoms), "omvang van het bestand (convex omhulsel)")


def coverage_from_file(path: Path) -> Coverage:
    """The union of the polygons in ``path`` (``--coverage LAYER=FILE``).

    Raises
    ------
    ConfigError
        When the file holds no polygons.
    """
    from kansenkaart.errors import ConfigError  # noqa: PLC0415
    from kansenkaart.io.context import read_context  # noqa: PLC0415

    frame = read_context(path)
    geoms = np.asarray(frame.geometry.values)  # read_context gives EPSG:28992
    polygons = geoms[np.isin(shapely.get_type_id(geoms), (3, 6))]
    if not len(polygons):
        msg = (
            f"--coverage {path}: the file holds no polygons. Give the area where "
            "the layer is complete as a polygon file (GeoPackage, GeoJSON)."
        )
        raise ConfigError(msg)
    return Coverage(shapely.union_all(polygons), f"opgegeven: {path.name}")


def combine(parts: Iterable[Coverage]) -> Coverage:
    """One coverage of several files of the same layer (their union)."""
    parts = list(parts)
    if any(p.national for p in parts):
        return national()
    geoms = [p.geometry for p in parts if p.geometry is not None]
    if not geoms:
        return parts[0]
    how = "; ".join(dict.fromkeys(p.how for p in parts))
    return Coverage(shapely.union_all(geoms), how)


def geometries(coverage: Mapping[str, Coverage]) -> dict[str, shapely.Geometry]:
    """The layers whose rules are masked outside a polygon, with the polygon."""
    return {k: c.geometry for k, c in coverage.items() if c.geometry is not None}

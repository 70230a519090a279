"""Vectorised spatial measures shared by the predicates (shapely 2 STRtree)."""

from __future__ import annotations

import numpy as np
import shapely
from numpy.typing import NDArray

__all__ = [
    "intersects_any",
    "nearest_distance",
    "overlap_share",
    "pair_overlap",
    "within_distance_any",
]


def intersects_any(
    geoms: NDArray[np.object_], other: NDArray[np.object_]
) -> NDArray[np.bool_]:
    """True where a geometry intersects any geometry of ``other``."""
    out = np.zeros(len(geoms), dtype=bool)
    if len(other) and len(geoms):
        idx, _ = shapely.STRtree(other).query(geoms, predicate="intersects")
        out[idx] = True
    return out


def within_distance_any(
    geoms: NDArray[np.object_], other: NDArray[np.object_], distance_m: float
) -> NDArray[np.bool_]:
    """True where a geometry lies within ``distance_m`` of any of ``other``."""
    out = np.zeros(len(geoms), dtype=bool)
    if len(other) and len(geoms):
        idx, _ = shapely.STRtree(other).query(
            geoms, predicate="dwithin", distance=distance_m
        )
        out[idx] = True
    return out


def nearest_distance(
    geoms: NDArray[np.object_], other: NDArray[np.object_], max_distance_m: float
) -> NDArray[np.float64]:
    """Distance to the nearest geometry of ``other``; inf beyond the maximum."""
    out = np.full(len(geoms), np.inf)
    if len(other) and len(geoms):
        (idx, _), dist = shapely.STRtree(other).query_nearest(
            geoms, max_distance=max_distance_m, return_distance=True, all_matches=False
        )
        np.minimum.at(out, idx, dist)
    return out


def pair_overlap(
    geoms: NDArray[np.object_], other: NDArray[np.object_]
) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.float64]]:
    """Intersecting pairs and their overlap area in m².

    Exact intersections are computed only for pairs that cross a boundary:
    where ``other`` wholly contains the geometry, the overlap is the
    geometry's own area.
    """
    if not (len(other) and len(geoms)):
        empty = np.array([], dtype=np.intp)
        return empty, empty, np.array([], dtype=float)
    tree = shapely.STRtree(other)
    left, right = tree.query(geoms, predicate="intersects")
    area = np.empty(len(left))
    inside = shapely.contains_properly(other[right], geoms[left])
    area[inside] = shapely.area(geoms[left[inside]])
    cross = ~inside
    area[cross] = shapely.area(
        shapely.intersection(geoms[left[cross]], other[right[cross]])
    )
    return left, right, area


def overlap_share(
    geoms: NDArray[np.object_], other: NDArray[np.object_]
) -> NDArray[np.float64]:
    """Share (0-1) of each geometry's area covered by ``other``.

    ``other`` is assumed not to overlap itself (as zoning objects of one type);
    the share is clipped to 1 otherwise.
    """
    left, _, area = pair_overlap(geoms, other)
    covered = np.bincount(left, weights=area, minlength=len(geoms))
    own = shapely.area(geoms)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(own > 0, covered / own, 0.0)
    return np.clip(share, 0.0, 1.0)

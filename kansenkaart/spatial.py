"""Vectorised spatial measures shared by candidates and predicates (shapely 2).

The overlay of candidates with a layer (:func:`pair_overlap`) computes exact
intersections only for pairs that cross a boundary. A pair is settled
without GEOS overlay work when

1. one geometry lies inside the other: its boundary misses the other, or
   the larger one *covers* it (shared boundaries, as a wall on a lot line);
   the overlap is then the smaller one's area;
2. it merely touches: the smaller geometry is covered by a third geometry
   of the other layer whose interior does not meet the pair's partner (the
   pair's overlap lies inside that third geometry's overlap with the
   partner, which is empty). Parcels sharing a zone border and buildings
   next to a lot line are settled this way.

Every function returns its pairs sorted by (left, right), so sums over pairs
do not depend on the order in which an index returns them; results are the
same whichever subset (chunk) of candidates is evaluated.
"""

from __future__ import annotations

import numpy as np
import shapely
from numpy.typing import NDArray

__all__ = [
    "intersects_any",
    "largest_overlap_group",
    "nearest_distance",
    "pair_overlap",
    "within_distance_any",
]

Geoms = NDArray[np.object_]
Index = NDArray[np.intp]

#: Mean number of candidate pairs per feature of the other layer from which
#: preparing that feature (one GEOS prepared geometry, reused for every
#: candidate it meets) is cheaper than a pairwise test.
_PREPARE_FROM_PAIRS = 6.0

#: Distance steps (as fractions of the maximum) of the nearest search: most
#: candidates find a neighbour within the first step, so few pairs are
#: measured at the larger ones.
_NEAREST_STEPS = (0.004, 0.02, 0.1, 1.0)


def _tree(other: Geoms, tree: shapely.STRtree | None) -> shapely.STRtree:
    return tree if tree is not None else shapely.STRtree(other)


def _used(idx: Index, size: int) -> Index:
    """Sorted distinct values of ``idx`` (positions below ``size``)."""
    return np.flatnonzero(np.bincount(idx, minlength=size))


def _used_inverse(idx: Index, size: int) -> tuple[Index, Index]:
    """Like ``np.unique(idx, return_inverse=True)`` for positions, in O(n)."""
    present = np.bincount(idx, minlength=size) > 0
    rank = np.cumsum(present) - 1
    return np.flatnonzero(present), rank[idx]


def _unique(keys: NDArray[np.int64]) -> NDArray[np.int64]:
    """Sorted distinct keys (sort-based; faster than hashing for int64)."""
    k = np.sort(keys)
    return k[np.r_[True, k[1:] != k[:-1]]] if len(k) else k


def _isin(keys: NDArray[np.int64], table: NDArray[np.int64]) -> NDArray[np.bool_]:
    """``np.isin`` for int64 keys against sorted distinct ``table``."""
    if not len(table):
        return np.zeros(len(keys), dtype=bool)
    pos = np.minimum(np.searchsorted(table, keys), len(table) - 1)
    return table[pos] == keys


def _sorted_pairs(left: Index, right: Index) -> tuple[Index, Index]:
    order = np.lexsort((right, left))
    return left[order], right[order]


def intersects_any(
    geoms: Geoms, other: Geoms, *, tree: shapely.STRtree | None = None
) -> NDArray[np.bool_]:
    """True where a geometry intersects any geometry of ``other``."""
    out = np.zeros(len(geoms), dtype=bool)
    if len(other) and len(geoms):
        left, right = _tree(other, tree).query(geoms)
        hit = shapely.intersects(geoms[left], other[right])
        out[left[hit]] = True
    return out


def within_distance_any(
    geoms: Geoms,
    other: Geoms,
    distance_m: float,
    *,
    tree: shapely.STRtree | None = None,
) -> NDArray[np.bool_]:
    """True where a geometry lies within ``distance_m`` of any of ``other``."""
    out = np.zeros(len(geoms), dtype=bool)
    if len(other) and len(geoms):
        idx, _ = _tree(other, tree).query(
            geoms, predicate="dwithin", distance=distance_m
        )
        out[idx] = True
    return out


def _expanded_boxes(geoms: Geoms, distance_m: float) -> Geoms:
    b = shapely.bounds(geoms)
    return shapely.box(
        b[:, 0] - distance_m,
        b[:, 1] - distance_m,
        b[:, 2] + distance_m,
        b[:, 3] + distance_m,
    )


def nearest_distance(
    geoms: Geoms,
    other: Geoms,
    max_distance_m: float,
    *,
    tree: shapely.STRtree | None = None,
    touching: NDArray[np.bool_] | None = None,
) -> NDArray[np.float64]:
    """Distance to the nearest geometry of ``other``; inf beyond the maximum.

    The search widens in steps: a geometry with a neighbour within the step's
    distance has its exact nearest distance (every geometry nearer than that
    lies in the step's search box); the others go to the next step.
    ``touching`` marks geometries already known to intersect ``other``
    (distance 0).
    """
    out = np.full(len(geoms), np.inf)
    if not (len(other) and len(geoms)):
        return out
    tree = _tree(other, tree)
    todo = np.arange(len(geoms))
    if touching is not None:
        out[touching] = 0.0
        todo = todo[~touching]
    for step in _NEAREST_STEPS:
        if not len(todo):
            break
        reach = step * max_distance_m
        left, right = tree.query(_expanded_boxes(geoms[todo], reach))
        dist = shapely.distance(geoms[todo[left]], other[right])
        best = np.full(len(todo), np.inf)
        np.minimum.at(best, left, dist)
        found = best <= reach
        out[todo[found]] = best[found]
        todo = todo[~found]
    return out


def _inside_by_boundary(
    small: Geoms, big: Geoms, big_boundary: Geoms
) -> NDArray[np.bool_]:
    """``small`` lies in the interior of ``big`` (pairs known to intersect).

    A connected geometry that meets ``big`` but not its boundary lies wholly
    inside it; multi-part geometries are left to the exact tests.
    """
    single = shapely.get_type_id(small) == shapely.GeometryType.POLYGON
    out = np.zeros(len(small), dtype=bool)
    out[single] = ~shapely.intersects(big_boundary[single], small[single])
    return out


def _covered_pairs(
    geoms: Geoms,
    other: Geoms,
    left: Index,
    right: Index,
    *,
    area_left: NDArray[np.float64],
    area_right: NDArray[np.float64],
    coarse: bool | None,
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Which intersecting pairs are containments: (left in right, right in left)."""
    n = len(left)
    left_in = np.zeros(n, dtype=bool)
    right_in = np.zeros(n, dtype=bool)
    small_left = area_left[left] <= area_right[right]
    used = _used(right, len(other))
    if coarse is None:
        coarse = n / max(len(used), 1) >= _PREPARE_FROM_PAIRS
    if coarse:
        # few large features (zones): prepare each once, test its candidates
        sub_left, sub_right = shapely.STRtree(geoms).query(
            other[used], predicate="covers"
        )
        key_cov = _unique(used[sub_left].astype(np.int64) * len(geoms) + sub_right)
        left_in = _isin(right.astype(np.int64) * len(geoms) + left, key_cov)
    else:
        # many small features (buildings): boundary test, then covers
        idx_l = np.flatnonzero(small_left)
        ub, inv = _used_inverse(right[idx_l], len(other))
        bound = shapely.boundary(other[ub])[inv]
        left_in[idx_l] = _inside_by_boundary(
            geoms[left[idx_l]], other[right[idx_l]], bound
        )
    idx_r = np.flatnonzero(~small_left & ~left_in)
    if len(idx_r):
        ub, inv = _used_inverse(left[idx_r], len(geoms))
        bound = shapely.boundary(geoms[ub])[inv]
        right_in[idx_r] = _inside_by_boundary(
            other[right[idx_r]], geoms[left[idx_r]], bound
        )
    rest = np.flatnonzero(~left_in & ~right_in)
    if len(rest):
        small = small_left[rest]
        a = np.flatnonzero(small)
        b = np.flatnonzero(~small)
        left_in[rest[a]] = shapely.covers(other[right[rest[a]]], geoms[left[rest[a]]])
        right_in[rest[b]] = shapely.covers(geoms[left[rest[b]]], other[right[rest[b]]])
    return left_in, right_in


def _interiors_apart(layer: Geoms, a: Index, b: Index) -> NDArray[np.bool_]:
    """Whether the interiors of ``layer[a]`` and ``layer[b]`` miss each other.

    Each distinct pair is tested once (``relate`` pattern ``T********``).
    """
    n = np.int64(len(layer))
    keys = a.astype(np.int64) * n + b
    pairs = _unique(keys)
    meet = shapely.relate_pattern(layer[pairs // n], layer[pairs % n], "T********")
    return _isin(keys, pairs[~meet])


def _touch_only(
    geoms: Geoms,
    other: Geoms,
    left: Index,
    right: Index,
    *,
    left_in: NDArray[np.bool_],
    right_in: NDArray[np.bool_],
) -> NDArray[np.bool_]:
    """Undecided pairs whose overlap is provably empty (see module docstring)."""
    undecided = np.flatnonzero(~left_in & ~right_in)
    zero = np.zeros(len(left), dtype=bool)
    if not len(undecided):
        return zero
    # a container of each left geometry in other, and of each right one in geoms
    holder_of_left = np.full(len(geoms), -1, dtype=np.intp)
    holder_of_left[left[left_in][::-1]] = right[left_in][::-1]
    holder_of_right = np.full(len(other), -1, dtype=np.intp)
    holder_of_right[right[right_in][::-1]] = left[right_in][::-1]
    u_left, u_right = left[undecided], right[undecided]
    # left g in container c (of other): overlap(g, o) <= overlap(c, o)
    c = holder_of_left[u_left]
    use = (c >= 0) & (c != u_right)
    if use.any():
        zero[undecided[use]] = _interiors_apart(other, c[use], u_right[use])
    # right o in container c' (of geoms): overlap(g, o) <= overlap(g, c')
    c2 = holder_of_right[u_right]
    use2 = (c2 >= 0) & (c2 != u_left) & ~zero[undecided]
    if use2.any():
        zero[undecided[use2]] = _interiors_apart(geoms, u_left[use2], c2[use2])
    return zero


def pair_overlap(
    geoms: Geoms,
    other: Geoms,
    *,
    tree: shapely.STRtree | None = None,
    coarse: bool | None = None,
    geoms_area: NDArray[np.float64] | None = None,
) -> tuple[Index, Index, NDArray[np.float64]]:
    """Pairs whose interiors overlap, and their overlap area in m².

    Parameters
    ----------
    geoms, other : numpy.ndarray of shapely geometries
        Candidates and the layer's features (polygons, EPSG:28992).
    tree : shapely.STRtree, optional
        An index of ``other`` to reuse.
    coarse : bool, optional
        Whether ``other`` holds few large features (zoning) that are each
        prepared once and tested against all their candidates; by default
        decided from the number of pairs per feature. Callers that evaluate
        candidates in chunks pass it, so every chunk takes the same path.
    geoms_area : numpy.ndarray, optional
        Areas of ``geoms`` when already known.

    Returns
    -------
    left, right : numpy.ndarray of int
        Positions in ``geoms`` and ``other``, sorted by (left, right); pairs
        that only touch are left out.
    area : numpy.ndarray of float
        Overlap area of each pair (m²), > 0.
    """
    empty = np.array([], dtype=np.intp)
    if not (len(other) and len(geoms)):
        return empty, empty, np.array([], dtype=float)
    left, right = _tree(other, tree).query(geoms)
    hit = shapely.intersects(geoms[left], other[right])
    left, right = _sorted_pairs(left[hit], right[hit])
    area_left = shapely.area(geoms) if geoms_area is None else geoms_area
    area_right = np.zeros(len(other))
    used = _used(right, len(other))
    area_right[used] = shapely.area(other[used])
    left_in, right_in = _covered_pairs(
        geoms,
        other,
        left,
        right,
        area_left=area_left,
        area_right=area_right,
        coarse=coarse,
    )
    area = np.zeros(len(left))
    area[left_in] = area_left[left[left_in]]
    area[right_in & ~left_in] = area_right[right[right_in & ~left_in]]
    zero = _touch_only(geoms, other, left, right, left_in=left_in, right_in=right_in)
    exact = np.flatnonzero(~left_in & ~right_in & ~zero)
    if len(exact):
        area[exact] = shapely.area(
            shapely.intersection(geoms[left[exact]], other[right[exact]])
        )
    keep = area > 0
    return left[keep], right[keep], area[keep]


def share_from_pairs(
    own: NDArray[np.float64], left: Index, area: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Covered share (0-1) of geometries of area ``own`` from their overlap pairs."""
    covered = np.bincount(left, weights=area, minlength=len(own))
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(own > 0, covered / own, 0.0)
    return np.clip(share, 0.0, 1.0)


def largest_overlap_group(
    n: int, left: Index, right: Index, area: NDArray[np.float64], groups: Geoms
) -> Geoms:
    """Group of the feature with the largest overlap per candidate.

    ``left``/``right``/``area`` are overlap pairs as :func:`pair_overlap`
    returns them; ties go to the first feature. Candidates without a pair
    get None.
    """
    out = np.full(n, None, dtype=object)
    if len(left):
        order = np.lexsort((right, -area, left))
        first = np.r_[True, left[order][1:] != left[order][:-1]]
        best = order[first]
        out[left[best]] = groups[right[best]]
    return out

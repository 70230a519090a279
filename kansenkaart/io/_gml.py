"""GML geometry shared by the DKK and IMRO readers (and any GML 3 reader).

A small GML 2/3.1/3.2 surface parser for any namespace prefix: posList, pos
and coordinates, rings built from LineStringSegments and circular arcs (arcs
are linearised within :data:`ARC_TOLERANCE_M`), polygons, multi-surfaces and
composite surfaces. Polygons are built in one vectorised
``shapely.from_ragged_array`` call. GDAL is not used because it refuses curve
polygons in several of the real files.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely
from lxml import etree

__all__ = [
    "ARC_MAX_STEP_DEG",
    "ARC_TOLERANCE_M",
    "PolygonRings",
    "Ring",
    "build_polygons",
    "epsg_of",
    "local_name",
    "release",
    "surface_rings",
]

RD_NEW = "EPSG:28992"

#: Largest angle (degrees) between two vertices of a linearised arc.
ARC_MAX_STEP_DEG = 4.0
#: Largest distance (m) between a linearised arc and the true arc.
ARC_TOLERANCE_M = 0.01

# ---------------------------------------------------------------------------
# GML geometry (GML 2/3.1/3.2, any namespace prefix)
# ---------------------------------------------------------------------------

Ring = np.ndarray  # (n, 2) float array, closed
PolygonRings = list[Ring]  # exterior first, then interiors


def local_name(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _coords(el: etree._Element) -> np.ndarray:
    """Coordinates of a posList / pos list / coordinates element, as (n, 2)."""
    name = local_name(el.tag)
    if name == "coordinates":  # GML 2: "x,y x,y"
        vals = (el.text or "").replace(",", " ").split()
        return np.asarray(vals, dtype=float).reshape(-1, 2)
    dim = int(el.get("srsDimension") or el.get("dimension") or 2)
    vals = (el.text or "").split()
    return np.asarray(vals, dtype=float).reshape(-1, dim)[:, :2]


def _points_of(el: etree._Element) -> np.ndarray:
    """All coordinates directly below ``el`` (posList, pos elements or coordinates)."""
    parts = [
        _coords(child)
        for child in el
        if local_name(child.tag) in ("posList", "pos", "coordinates")
    ]
    if not parts:
        return np.empty((0, 2))
    return np.concatenate(parts)


def _arc(
    p0: np.ndarray, p1: np.ndarray, p2: np.ndarray, *, full: bool = False
) -> np.ndarray:
    """Linearise the circular arc p0 -> p1 -> p2 (a full circle if ``full``).

    The result passes through all three control points; the step is at most
    :data:`ARC_MAX_STEP_DEG` and deviates at most :data:`ARC_TOLERANCE_M`.
    """
    b, c = p1 - p0, p2 - p0  # work relative to p0: RD coordinates are large
    d = 2.0 * (b[0] * c[1] - b[1] * c[0])
    scale = max(float(np.hypot(*b)), float(np.hypot(*c)), 1e-12)
    if abs(d) <= 1e-10 * scale * scale:  # collinear: straight segments
        return np.vstack([p0, p2]) if not full else np.vstack([p0, p1, p0])
    bb, cc = b @ b, c @ c
    centre = np.array([(c[1] * bb - b[1] * cc) / d, (b[0] * cc - c[0] * bb) / d])
    radius = float(np.hypot(*centre))
    a0, a1, a2 = (math.atan2(*(q - centre)[::-1]) for q in (np.zeros(2), b, c))
    two_pi = 2.0 * math.pi
    sign = 1.0 if d > 0 else -1.0  # counter-clockwise when d > 0
    first = ((a1 - a0) * sign) % two_pi * sign
    second = two_pi * sign - first if full else ((a2 - a1) * sign) % two_pi * sign
    step = math.radians(ARC_MAX_STEP_DEG)
    if radius > ARC_TOLERANCE_M:
        step = min(step, 2.0 * math.acos(1.0 - ARC_TOLERANCE_M / radius))
    parts = []
    for start, sweep in ((a0, first), (a1, second)):
        n = int(min(max(math.ceil(abs(sweep) / step), 1), 720))
        t = start + sweep * np.linspace(0.0, 1.0, n + 1)
        parts.append(np.column_stack([np.cos(t), np.sin(t)]) * radius + centre)
    pts = np.concatenate([parts[0], parts[1][1:]]) + p0
    pts[0], pts[len(parts[0]) - 1], pts[-1] = p0, p1, (p0 if full else p2)
    return pts


def _segment_points(seg: etree._Element) -> np.ndarray:
    name = local_name(seg.tag)
    pts = _points_of(seg)
    if name in ("Arc", "ArcString") and len(pts) >= 3:
        arcs = [_arc(pts[i], pts[i + 1], pts[i + 2]) for i in range(0, len(pts) - 2, 2)]
        return _join(arcs)
    if name == "Circle" and len(pts) >= 3:
        return _arc(pts[0], pts[1], pts[2], full=True)
    return pts  # LineStringSegment, LineString, GeodesicString, ...


def _join(parts: Sequence[np.ndarray]) -> np.ndarray:
    """Concatenate point runs, dropping the repeated joint vertex."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return np.empty((0, 2))
    out = [parts[0]]
    for p in parts[1:]:
        out.append(p[1:] if np.allclose(out[-1][-1], p[0]) else p)
    return np.concatenate(out)


def _curve_points(curve: etree._Element) -> np.ndarray:
    """Points of a Curve / LineString / CompositeCurve / OrientableCurve."""
    name = local_name(curve.tag)
    if name == "Curve":
        segs = next((c for c in curve if local_name(c.tag) == "segments"), None)
        return (
            _join([_segment_points(s) for s in segs])
            if segs is not None
            else np.empty((0, 2))
        )
    if name in ("CompositeCurve", "OrientableCurve"):
        members = [
            m[0]
            for m in curve
            if len(m) and local_name(m.tag) in ("curveMember", "baseCurve")
        ]
        return _join([_curve_points(m) for m in members])
    return _segment_points(curve)


def _ring(ring: etree._Element) -> Ring:
    """Closed (n, 2) coordinates of a LinearRing or Ring element."""
    if local_name(ring.tag) == "Ring":
        pts = _join(
            [
                _curve_points(m[0])
                for m in ring
                if len(m) and local_name(m.tag) == "curveMember"
            ]
        )
    else:
        pts = _points_of(ring)
    if len(pts) and not np.array_equal(pts[0], pts[-1]):
        pts = np.vstack([pts, pts[:1]])
    return pts


_BOUNDARY = ("exterior", "outerBoundaryIs", "interior", "innerBoundaryIs")


def _polygon(poly: etree._Element) -> PolygonRings:
    exterior: list[Ring] = []
    interiors: list[Ring] = []
    for child in poly:
        name = local_name(child.tag)
        if name in _BOUNDARY and len(child):
            (exterior if name in _BOUNDARY[:2] else interiors).append(_ring(child[0]))
    return exterior[:1] + interiors


def surface_rings(geom: etree._Element | None) -> list[PolygonRings]:
    """Polygons (as ring lists) of a GML surface geometry; [] for non-surfaces."""
    if geom is None:
        return []
    name = local_name(geom.tag)
    if name in ("Polygon", "PolygonPatch", "Rectangle"):
        return [_polygon(geom)]
    if name == "Surface":
        patches = next((c for c in geom if local_name(c.tag) == "patches"), None)
        return [_polygon(p) for p in patches] if patches is not None else []
    if name in ("MultiSurface", "MultiPolygon", "CompositeSurface", "Shell"):
        out: list[PolygonRings] = []
        for member in geom:
            mname = local_name(member.tag)
            if mname in ("surfaceMember", "polygonMember"):
                out += surface_rings(member[0] if len(member) else None)
            elif mname in ("surfaceMembers", "polygonMembers"):
                for sub in member:
                    out += surface_rings(sub)
        return out
    return []


def build_polygons(features: Sequence[list[PolygonRings]]) -> np.ndarray:
    """Build one shapely geometry per feature in a single vectorised call.

    Features with one polygon become ``Polygon``, with several ``MultiPolygon``,
    without any ``None``.
    """
    rings = [r for polys in features for poly in polys for r in poly if len(r) >= 4]
    n_rings = [[sum(len(r) >= 4 for r in poly) for poly in polys] for polys in features]
    n_polys = [sum(1 for k in polys if k) for polys in n_rings]
    ring_sizes = [len(r) for r in rings]
    poly_sizes = [k for polys in n_rings for k in polys if k]
    coords = np.concatenate(rings) if rings else np.empty((0, 2))
    offsets = (
        np.concatenate([[0], np.cumsum(ring_sizes)]).astype(np.int64),
        np.concatenate([[0], np.cumsum(poly_sizes)]).astype(np.int64),
        np.concatenate([[0], np.cumsum(n_polys)]).astype(np.int64),
    )
    multi = shapely.from_ragged_array(
        shapely.GeometryType.MULTIPOLYGON, coords, offsets
    )
    n_parts = np.asarray(n_polys)
    return np.where(
        n_parts == 1,
        shapely.get_geometry(multi, 0),
        np.where(n_parts == 0, None, multi),
    )


_EPSG = re.compile(r"(?:EPSG\D*|^)(\d{4,5})\s*$")


def epsg_of(srs_name: str | None) -> str:
    """EPSG code from a GML srsName; DKK/IMRO files without one are in RD New."""
    if not srs_name:
        return RD_NEW
    match = _EPSG.search(srs_name.strip())
    return f"EPSG:{match.group(1)}" if match else RD_NEW


def release(el: etree._Element) -> None:
    """Free a parsed element and its already-parsed predecessors (streaming)."""
    el.clear()
    member = el.getparent()
    root = member.getparent() if member is not None else None
    if root is not None:
        while member.getprevious() is not None:
            del root[0]

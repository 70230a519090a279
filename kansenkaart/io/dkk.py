"""Readers for the Kadaster kadastrale kaart (DKK): parcels as polygons.

Two kinds of input are supported:

* GeoPackages (:func:`read_dkk_gpkg`): the DKK v5 WFS/OGC-API export
  (``identificatieLokaalID``, ``AKRKadastraleGemeenteCodeWaarde``, ...), a
  flattened DKK GML (``identificatie``, ...) and snake_case variants such as
  ``akr_kadastrale_gemeente_code_waarde`` as used by PDOK downloads. Columns are
  matched case-insensitively with underscores ignored.
* Raw DKK GML (:func:`read_dkk_gml`) in schema **v4** (namespaces
  ``http://www.kadaster.nl/schemas/brkkadastralekaart/v4/...``, root
  ``brkkadastralekaartCollection``, ``identificatie`` as ``namespace`` +
  ``lokaalID``) and **v5** (``.../brkkadastralekaart/v5/...``, root ``DKK``,
  ``identificatie`` as text with a ``domein`` attribute).

GDAL reads a DKK ``Perceel`` with its label point (``plaatscoordinaten``) as
geometry. The GML reader therefore parses the file itself (streaming, with
``lxml.etree.iterparse``) and takes the parcel outline ``begrenzingPerceel``;
circular arcs are linearised. The polygons are built in one vectorised
``shapely.from_ragged_array`` call.

This module also holds the small GML 3 surface parser shared with
:mod:`kansenkaart.io.imro` (``_surface_rings`` / ``_build_polygons``).
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from lxml import etree

from kansenkaart.errors import DataSourceError, SchemaError
from kansenkaart.io._vector import list_layers, read_vector
from kansenkaart.layers.schema import PARCELS
from kansenkaart.layers.validate import OnInvalid, validate_layer

__all__ = ["read_dkk_gml", "read_dkk_gpkg"]

logger = logging.getLogger(__name__)

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


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _coords(el: etree._Element) -> np.ndarray:
    """Coordinates of a posList / pos list / coordinates element, as (n, 2)."""
    name = _local(el.tag)
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
        if _local(child.tag) in ("posList", "pos", "coordinates")
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
    name = _local(seg.tag)
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
    name = _local(curve.tag)
    if name == "Curve":
        segs = next((c for c in curve if _local(c.tag) == "segments"), None)
        return (
            _join([_segment_points(s) for s in segs])
            if segs is not None
            else np.empty((0, 2))
        )
    if name in ("CompositeCurve", "OrientableCurve"):
        members = [
            m[0]
            for m in curve
            if len(m) and _local(m.tag) in ("curveMember", "baseCurve")
        ]
        return _join([_curve_points(m) for m in members])
    return _segment_points(curve)


def _ring(ring: etree._Element) -> Ring:
    """Closed (n, 2) coordinates of a LinearRing or Ring element."""
    if _local(ring.tag) == "Ring":
        pts = _join(
            [
                _curve_points(m[0])
                for m in ring
                if len(m) and _local(m.tag) == "curveMember"
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
        name = _local(child.tag)
        if name in _BOUNDARY and len(child):
            (exterior if name in _BOUNDARY[:2] else interiors).append(_ring(child[0]))
    return exterior[:1] + interiors


def _surface_rings(geom: etree._Element | None) -> list[PolygonRings]:
    """Polygons (as ring lists) of a GML surface geometry; [] for non-surfaces."""
    if geom is None:
        return []
    name = _local(geom.tag)
    if name in ("Polygon", "PolygonPatch", "Rectangle"):
        return [_polygon(geom)]
    if name == "Surface":
        patches = next((c for c in geom if _local(c.tag) == "patches"), None)
        return [_polygon(p) for p in patches] if patches is not None else []
    if name in ("MultiSurface", "MultiPolygon", "CompositeSurface", "Shell"):
        out: list[PolygonRings] = []
        for member in geom:
            mname = _local(member.tag)
            if mname in ("surfaceMember", "polygonMember"):
                out += _surface_rings(member[0] if len(member) else None)
            elif mname in ("surfaceMembers", "polygonMembers"):
                for sub in member:
                    out += _surface_rings(sub)
        return out
    return []


def _build_polygons(features: Sequence[list[PolygonRings]]) -> np.ndarray:
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


def _epsg(srs_name: str | None) -> str:
    """EPSG code from a GML srsName; DKK/IMRO files without one are in RD New."""
    if not srs_name:
        return RD_NEW
    match = _EPSG.search(srs_name.strip())
    return f"EPSG:{match.group(1)}" if match else RD_NEW


# ---------------------------------------------------------------------------
# DKK GML
# ---------------------------------------------------------------------------


def _text(el: etree._Element | None, path: str) -> str | None:
    found = el.find(path) if el is not None else None
    if found is None or found.text is None:
        return None
    return found.text.strip() or None


def _identificatie(perceel: etree._Element) -> str | None:
    ident = perceel.find("{*}identificatie")
    if ident is None:
        return None
    lokaal = ident.find(".//{*}lokaalID")  # v4 (and v3): namespace + lokaalID
    return (
        (lokaal.text or "").strip()
        if lokaal is not None
        else (ident.text or "").strip()
    )


def _perceel_record(perceel: etree._Element) -> dict[str, Any]:
    aanduiding = perceel.find("{*}kadastraleAanduiding/{*}TypeKadastraleAanduiding")
    akr = _text(
        aanduiding,
        "{*}aKRKadastraleGemeenteCode/{*}AKRKadastraleGemeenteCode/{*}waarde",
    )
    return {
        "cadastral_object_id": _identificatie(perceel),
        "akr": akr,
        "municipality_cadastral": _text(
            aanduiding, "{*}kadastraleGemeente/{*}KadastraleGemeente/{*}waarde"
        ),
        "section": _text(aanduiding, "{*}sectie"),
        "parcel_number": _text(aanduiding, "{*}perceelnummer"),
        "registered_area_m2": _text(
            perceel, "{*}kadastraleGrootte/{*}TypeOppervlak/{*}waarde"
        ),
    }


def _parse_dkk_gml(
    path: Path,
) -> tuple[list[dict[str, Any]], list[list[PolygonRings]], str]:
    records: list[dict[str, Any]] = []
    shapes: list[list[PolygonRings]] = []
    srs: str | None = None
    try:
        for _, perceel in etree.iterparse(str(path), events=("end",), tag="{*}Perceel"):
            records.append(_perceel_record(perceel))
            boundary = perceel.find("{*}begrenzingPerceel")
            geom = boundary[0] if boundary is not None and len(boundary) else None
            if srs is None and geom is not None:
                srs = geom.get("srsName")
            shapes.append(_surface_rings(geom))
            _release(perceel)
    except etree.XMLSyntaxError as err:
        msg = (
            f"{path}: not well-formed XML ({err}). The file may be truncated: "
            "download it again."
        )
        raise DataSourceError(msg) from err
    return records, shapes, _epsg(srs)


def _release(el: etree._Element) -> None:
    """Free a parsed element and its already-parsed predecessors (streaming)."""
    el.clear()
    member = el.getparent()
    root = member.getparent() if member is not None else None
    if root is not None:
        while member.getprevious() is not None:
            del root[0]


def _parcel_ids(df: pd.DataFrame) -> pd.Series:
    number = df["parcel_number"].astype("string").str.lstrip("0").replace("", "0")
    return (
        df["akr"].astype("string") + "-" + df["section"].astype("string") + "-" + number
    )


def read_dkk_gml(
    path: str | Path, *, on_invalid: OnInvalid = "fix"
) -> gpd.GeoDataFrame:
    """Read the parcels of a raw DKK GML file (schema v4 or v5) as polygons.

    Parameters
    ----------
    path : str or Path
        A DKK ``perceel`` GML file, e.g. ``kadastralekaart_perceel.gml`` from
        the PDOK download (v5) or ``dkk_perceel.gml`` (v4).
    on_invalid : {"raise", "fix", "drop"}, default "fix"
        What to do with invalid polygons, see
        :func:`kansenkaart.layers.validate.validate_layer`.

    Returns
    -------
    geopandas.GeoDataFrame
        Canonical ``parcels`` layer in EPSG:28992: ``parcel_id``
        (``AKR-sectie-perceelnummer``, e.g. ``OTL02-B-2298``),
        ``cadastral_object_id`` (14 digits), ``municipality_cadastral``,
        ``section``, ``parcel_number``, ``registered_area_m2``
        (kadastraleGrootte), ``area_m2`` (of the polygon) and ``source``
        (``"dkk-gml"``). The geometry is the parcel outline
        (``begrenzingPerceel``), never the label point.

    Raises
    ------
    DataSourceError
        When the file is missing or not well-formed XML.
    SchemaError
        When the file holds no ``Perceel`` features.

    Examples
    --------
    >>> parcels = read_dkk_gml("tests/data/otterlo_dkk5_kadastralekaart_perceel.gml")
    >>> parcels["parcel_id"].iloc[0]
    'OTL02-B-2298'
    """
    path = Path(path)
    if not path.exists():
        msg = f"{path}: file not found. Check the path."
        raise DataSourceError(msg)
    records, shapes, crs = _parse_dkk_gml(path)
    if not records:
        msg = (
            f"{path}: no DKK Perceel features found. Pass the perceel file of the "
            "kadastrale kaart download (kadastralekaart_perceel.gml), not the pand "
            "or kadastralegrens file."
        )
        raise SchemaError(msg)
    df = pd.DataFrame.from_records(records)
    df["registered_area_m2"] = pd.to_numeric(df["registered_area_m2"], errors="coerce")
    return _finish(
        df,
        _build_polygons(shapes),
        crs=crs,
        source="dkk-gml",
        label=f"{path} (Perceel)",
        on_invalid=on_invalid,
    )


def _finish(
    df: pd.DataFrame,
    geometry: Iterable[Any],
    *,
    crs: Any,
    source: str,
    label: str,
    on_invalid: OnInvalid,
) -> gpd.GeoDataFrame:
    df = df.copy()
    df["parcel_id"] = _parcel_ids(df)
    df["source"] = source
    gdf = gpd.GeoDataFrame(
        df, geometry=gpd.GeoSeries(list(geometry), crs=crs).values, crs=crs
    )
    gdf = validate_layer(gdf, PARCELS, source=label, on_invalid=on_invalid)
    gdf["area_m2"] = pd.array(gdf.geometry.area.to_numpy(), dtype="Float64")
    logger.info("%s: %d parcels", label, len(gdf))
    return gdf


# ---------------------------------------------------------------------------
# DKK GeoPackage
# ---------------------------------------------------------------------------

#: canonical field -> accepted source columns (lower case, without "_").
_GPKG_FIELDS: dict[str, tuple[str, ...]] = {
    "cadastral_object_id": ("identificatielokaalid", "lokaalid", "identificatie"),
    "akr": (
        "akrkadastralegemeentecodewaarde",
        "akrkadastralegemeente",
        "akrgemeente",
        "kadastralegemeentecodeakr",
    ),
    "municipality_cadastral": (
        "kadastralegemeentewaarde",
        "kadastralegemeente",
        "kadgemeente",
    ),
    "section": ("sectie",),
    "parcel_number": ("perceelnummer",),
    "registered_area_m2": (
        "kadastralegroottewaarde",
        "kadastralegrootte",
        "oppervlakte",
    ),
}
_REQUIRED = ("cadastral_object_id", "akr", "section", "parcel_number")
_LAYER_NAMES = ("perceel", "percelen", "kadastraal_perceel", "kadastrale_percelen")


def _norm(name: str) -> str:
    return name.lower().replace("_", "")


def _pick_layer(path: Path, layer: str | None) -> str:
    if layer is not None:
        return layer
    layers = list_layers(path)
    for name in layers:
        if name.lower() in _LAYER_NAMES:
            return name
    if len(layers) == 1:
        return layers[0]
    msg = (
        f"{path}: cannot tell which layer holds the parcels (layers: "
        f"{', '.join(layers) or '(none)'}). Pass layer=..."
    )
    raise DataSourceError(msg)


def _map_columns(columns: Iterable[str], *, source: str) -> dict[str, str]:
    """Source column for each canonical field; raises when a required one is missing."""
    by_norm = {_norm(c): c for c in columns}
    found: dict[str, str] = {}
    for field, candidates in _GPKG_FIELDS.items():
        hit = next((by_norm[c] for c in candidates if c in by_norm), None)
        if hit is not None:
            found[field] = hit
    missing = [_GPKG_FIELDS[f][0] for f in _REQUIRED if f not in found]
    if missing:
        msg = (
            f"{source}: missing DKK column(s) {', '.join(missing)} (case and "
            f"underscores ignored). Columns found: {', '.join(columns) or '(none)'}. "
            "Pass the perceel layer of a kadastrale kaart GeoPackage."
        )
        raise SchemaError(msg)
    return found


def _as_text(series: pd.Series) -> pd.Series:
    """Identifier-like column as string; floats that hold integers lose their '.0'."""
    if pd.api.types.is_float_dtype(series):
        return series.astype("Int64").astype("string")
    return series.astype("string").str.strip()


def read_dkk_gpkg(
    path: str | Path, *, layer: str | None = None, on_invalid: OnInvalid = "fix"
) -> gpd.GeoDataFrame:
    """Read DKK parcels from a GeoPackage.

    Parameters
    ----------
    path : str or Path
        GeoPackage with a parcel layer: the DKK v5 WFS export (layer
        ``percelen``), a flattened DKK GML (layer ``perceel``) or the PDOK
        kadastrale kaart download (layer ``perceel``).
    layer : str, optional
        Layer name; by default a layer called ``perceel``/``percelen`` or the
        only layer.
    on_invalid : {"raise", "fix", "drop"}, default "fix"
        What to do with invalid polygons.

    Returns
    -------
    geopandas.GeoDataFrame
        Canonical ``parcels`` layer in EPSG:28992 (see :func:`read_dkk_gml`),
        ``source`` is ``"dkk-gpkg"``.

    Raises
    ------
    DataSourceError
        When the file or layer cannot be read.
    SchemaError
        When the AKR code, sectie, perceelnummer or identificatie columns are
        missing.

    Examples
    --------
    >>> parcels = read_dkk_gpkg("data/amsterdam_BU03638600_brk_percelen.gpkg")
    >>> len(parcels)
    422
    """
    path = Path(path)
    name = _pick_layer(path, layer)
    label = f"{path} (layer {name})"
    gdf = read_vector(path, name)
    mapping = _map_columns([c for c in gdf.columns if c != "geometry"], source=label)
    df = pd.DataFrame(
        {field: gdf[col] for field, col in mapping.items()}, index=gdf.index
    )
    for field in (
        "cadastral_object_id",
        "akr",
        "section",
        "parcel_number",
        "municipality_cadastral",
    ):
        if field in df:
            df[field] = _as_text(df[field])
    if "registered_area_m2" in df:
        df["registered_area_m2"] = pd.to_numeric(
            df["registered_area_m2"], errors="coerce"
        )
    return _finish(
        df,
        gdf.geometry.values,
        crs=gdf.crs,
        source="dkk-gpkg",
        label=label,
        on_invalid=on_invalid,
    )

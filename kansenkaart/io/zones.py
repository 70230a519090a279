"""Readers for the optional area layers of the scans (zones).

Each of these layers is a set of polygons a rule tests candidates against:

``risk_contours``
    Plaatsgebonden-risicocontouren 10⁻⁶ (Register externe veiligheid, Atlas
    Leefomgeving).
``safety_zones``
    Aandachtsgebieden brand / explosie / gifwolk (omgevingsplan, RIVM).
``high_voltage``
    The indicative 0.4 µT magnetic-field zone of overhead power lines (RIVM).
``flood_risk``
    Flood probability or depth areas (LIWO / Klimaateffectatlas).
``nnn``
    Natuurnetwerk Nederland, from the provincial omgevingsverordening.
``housing_plans``
    Housing plans within 10 years (plancapaciteit, Planmonitor Wonen).

They come as a GeoPackage, GeoJSON (also WGS84, as a WFS or ArcGIS
FeatureServer returns it), FlatGeobuf, or — for areas an Omgevingswet
decision designates — a STOP **GIO** (GeoInformatieObject, ``imop-geo``)
GML file as published with an omgevingsplan or omgevingsverordening.
:func:`read_zones` reads any of these; :func:`read_gio` reads a GIO.
Lines and points are refused: a zone is an area (buffer a power line by
its zone width, or download the zone polygons).
"""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from lxml import etree

from kansenkaart.errors import DataSourceError, SchemaError
from kansenkaart.io._gml import build_polygons, epsg_of, local_name, surface_rings
from kansenkaart.io.context import read_context
from kansenkaart.model.validate import OnInvalid, validate_layer

__all__ = ["ZONE_LAYERS", "is_gio", "read_gio", "read_zones"]

logger = logging.getLogger(__name__)

#: Optional zone layers and where an analyst downloads them.
ZONE_LAYERS: dict[str, str] = {
    "risk_contours": "Register externe veiligheid / Atlas Leefomgeving (PR 10-6)",
    "safety_zones": "omgevingsplan (GIO) of RIVM-aandachtsgebieden",
    "high_voltage": "RIVM indicatieve magneetveldzone hoogspanningslijnen",
    "flood_risk": "LIWO / Klimaateffectatlas overstromingskaarten",
    "nnn": "provinciale omgevingsverordening (GIO) of PDOK Natuurnetwerk",
    "housing_plans": "Planmonitor Wonen / provinciale plancapaciteit",
}

_POLYGONAL = {"Polygon", "MultiPolygon"}


def is_gio(path: str | Path) -> bool:
    """True when ``path`` is a STOP GeoInformatieObject (imop-geo) GML file."""
    path = Path(path)
    if path.suffix.lower() not in (".gml", ".xml"):
        return False
    try:
        with path.open("rb") as handle:
            for _, el in etree.iterparse(handle, events=("start",)):
                return local_name(el.tag).startswith("GeoInformatieObject")
    except (etree.XMLSyntaxError, OSError):
        return False
    return False


def read_gio(path: str | Path, *, on_invalid: OnInvalid = "fix") -> gpd.GeoDataFrame:
    """Read the locations of a STOP GeoInformatieObject (GIO) GML file.

    Parameters
    ----------
    path : str or Path
        A GIO as published with an Omgevingswet decision
        (``geo:GeoInformatieObjectVaststelling`` with ``geo:Locatie``
        elements).
    on_invalid : {"raise", "fix", "drop"}, default "fix"
        Policy for invalid geometries.

    Returns
    -------
    geopandas.GeoDataFrame
        ``name`` (``geo:naam``), ``group`` (``geo:groepID``, when present),
        ``value`` (``geo:kwantitatieveNormwaarde`` or
        ``kwalitatieveNormwaarde``) and the polygons, in EPSG:28992.

    Raises
    ------
    DataSourceError
        When the file is missing or not well-formed XML.
    SchemaError
        When it holds no location with an area.
    """
    path = Path(path)
    if not path.exists():
        raise DataSourceError(f"{path}: file not found. Check the path.")
    try:
        root = etree.parse(str(path)).getroot()
    except etree.XMLSyntaxError as err:
        msg = f"{path}: not well-formed XML ({err}). Download the GIO again."
        raise DataSourceError(msg) from err
    records, shapes, srs = [], [], None
    for loc in root.iter("{*}Locatie"):
        geom = next(
            (g for g in loc.iter() if local_name(g.tag) in ("MultiSurface", "Polygon")),
            None,
        )
        srs = srs or (geom.get("srsName") if geom is not None else None)
        records.append(
            {
                "name": loc.findtext("{*}naam"),
                "group": loc.findtext("{*}groepID"),
                "value": loc.findtext("{*}kwantitatieveNormwaarde")
                or loc.findtext("{*}kwalitatieveNormwaarde"),
            }
        )
        shapes.append(surface_rings(geom))
    geoms = build_polygons(shapes)
    if not records or all(g is None for g in geoms):
        msg = (
            f"{path}: no geo:Locatie with an area (gml:MultiSurface or Polygon). "
            "Zone layers need areas."
        )
        raise SchemaError(msg)
    gdf = gpd.GeoDataFrame(
        pd.DataFrame.from_records(records), geometry=geoms, crs=epsg_of(srs)
    )
    return validate_layer(gdf, source=str(path), on_invalid=on_invalid)


def read_zones(path: str | Path, *, on_invalid: OnInvalid = "fix") -> gpd.GeoDataFrame:
    """Read an optional zone layer: any vector file or a GIO, polygons only.

    Parameters
    ----------
    path : str or Path
        GeoPackage, GeoJSON, FlatGeobuf or STOP GIO GML.
    on_invalid : {"raise", "fix", "drop"}, default "fix"
        Policy for invalid geometries.

    Returns
    -------
    geopandas.GeoDataFrame
        The source's columns and its polygons in EPSG:28992.

    Raises
    ------
    SchemaError
        When the layer holds lines or points instead of areas.
    """
    path = Path(path)
    gdf = (
        read_gio(path, on_invalid=on_invalid)
        if is_gio(path)
        else read_context(path, on_invalid=on_invalid)
    )
    types = shapely.get_type_id(np.asarray(gdf.geometry.values))
    wrong = ~np.isin(types, [3, 6, -1])  # Polygon, MultiPolygon, missing
    if wrong.any():
        kinds = sorted(set(gdf.geometry.geom_type[wrong].astype(str)))
        msg = (
            f"{path}: {int(wrong.sum())} feature(s) are {', '.join(kinds)}, not "
            "areas. A zone layer holds polygons: for power lines download the "
            "RIVM zone polygons (indicatieve magneetveldzone) or buffer each line "
            "by its zone width in QGIS first."
        )
        raise SchemaError(msg)
    logger.info("%s: %d zone polygon(s)", path, len(gdf))
    return gdf

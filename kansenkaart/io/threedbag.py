"""Read 3DBAG buildings: GeoPackage and CityJSON tiles.

3DBAG (TU Delft 3D geoinformation group) adds heights from AHN to every BAG
pand. It carries no verblijfsobjecten, so the ``use_*`` columns,
``floor_area_m2`` and ``n_units`` are null (unknown), never False.
``height_m`` is ``b3_h_dak_70p - b3_h_maaiveld`` (70th percentile of the roof
above the ground) and ``storeys`` is ``b3_bouwlagen``.
"""

from __future__ import annotations

import gzip
import json
import re
from itertools import chain
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS

from kansenkaart.crs import RD_NEW
from kansenkaart.errors import DataSourceError
from kansenkaart.io._vector import list_layers, read_vector
from kansenkaart.io.bag import clean_building_ids, layer_source, year_built_from
from kansenkaart.model.schema import BUILDINGS
from kansenkaart.model.validate import OnInvalid, require_columns, validate_layer

__all__ = ["read_3dbag_cityjson", "read_3dbag_gpkg"]

_REQUIRED = [
    "identificatie",
    "oorspronkelijkbouwjaar",
    "status",
    "b3_bouwlagen",
    "b3_h_maaiveld",
    "b3_h_dak_70p",
]
#: EPSG codes whose horizontal part is RD New (7415 = RD New + NAP height).
_RD_CODES = frozenset({28992, 7415})


def _attributes_to_frame(attrs: pd.DataFrame, *, source_name: str) -> pd.DataFrame:
    """Canonical non-geometry columns from 3DBAG attributes."""
    roof = pd.to_numeric(attrs["b3_h_dak_70p"], errors="coerce").astype("Float64")
    ground = pd.to_numeric(attrs["b3_h_maaiveld"], errors="coerce").astype("Float64")
    storeys = pd.to_numeric(attrs["b3_bouwlagen"], errors="coerce").astype("Float64")
    return pd.DataFrame(
        {
            "building_id": clean_building_ids(attrs["identificatie"]).to_numpy(),
            "year_built": year_built_from(attrs["oorspronkelijkbouwjaar"]).to_numpy(),
            "status": attrs["status"].astype("string").to_numpy(),
            "height_m": (roof - ground).to_numpy(),
            "storeys": storeys.round().astype("Int64").to_numpy(),
            "source": source_name,
        }
    )


# --------------------------------------------------------------------------
# GeoPackage
# --------------------------------------------------------------------------


def _pick_layer(path: Path, layer: str | None) -> str:
    if layer is not None:
        return layer  # read_vector names a missing layer and lists the others
    layers = list_layers(path)
    for name in ("pand", "panden"):
        if name in layers:
            return name
    polygon_layers = [
        str(name)
        for name, geom_type in pyogrio.list_layers(path)
        if geom_type and "polygon" in str(geom_type).lower()
    ]
    if len(polygon_layers) == 1:
        return polygon_layers[0]
    msg = (
        f"{path}: cannot tell which layer holds the 3DBAG panden (no layer 'pand' "
        f"or 'panden'; polygon layers: {', '.join(polygon_layers) or '(none)'}). "
        "Pass layer=."
    )
    raise DataSourceError(msg)


def read_3dbag_gpkg(
    path: str | Path, *, layer: str | None = None, on_invalid: OnInvalid = "fix"
) -> gpd.GeoDataFrame:
    """Read a 3DBAG GeoPackage as buildings.

    Accepts the official 3DBAG GeoPackage (layers ``pand``, ``lod12_2d``,
    ``lod22_2d``, ...; layer ``pand`` holds the BAG footprints with all
    attributes) and flattened extracts with one polygon layer (e.g.
    ``panden``). Identifiers lose their ``NL.IMBAG.Pand.`` prefix.

    Parameters
    ----------
    path : str or Path
        The GeoPackage (EPSG:28992, or EPSG:7415 for RD New + NAP).
    layer : str, optional
        Layer to read; by default ``pand``, else ``panden``, else the only
        polygon layer.
    on_invalid : {"raise", "fix", "drop"}, default "fix"
        Policy for invalid footprints.

    Returns
    -------
    geopandas.GeoDataFrame
        Canonical buildings (2D polygons, EPSG:28992), ``source`` ``"3dbag"``,
        with ``height_m`` in metres and ``storeys``; uses, floor area and
        units null.

    Raises
    ------
    DataSourceError
        When the file or layer cannot be read, or the layer is ambiguous.
    SchemaError
        When a required column is missing (the message lists those found).

    Examples
    --------
    >>> from kansenkaart.datasets import data_path
    >>> b = read_3dbag_gpkg(
    ...     data_path("katwijk_valkenburg_3dbag_tile_8-296-632_panden.gpkg")
    ... )
    >>> len(b)
    1146
    """
    path = Path(path)
    layer = _pick_layer(path, layer)
    raw = read_vector(path, layer)
    source = layer_source(path, layer)
    require_columns(raw.columns, _REQUIRED, source=source)
    frame = _attributes_to_frame(raw, source_name="3dbag")
    geoms = shapely.force_2d(np.asarray(raw.geometry.values))
    crs = RD_NEW if raw.crs is not None and raw.crs.to_epsg() in _RD_CODES else raw.crs
    gdf = gpd.GeoDataFrame(frame, geometry=geoms, crs=crs)
    return validate_layer(gdf, BUILDINGS, source=source, on_invalid=on_invalid)


# --------------------------------------------------------------------------
# CityJSON
# --------------------------------------------------------------------------


def _load_cityjson(path: Path) -> dict[str, Any]:
    if not path.exists():
        msg = f"{path}: file not found. Check the path."
        raise DataSourceError(msg)
    opener = gzip.open if path.suffix.lower() == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8") as fh:
            doc = json.load(fh)
    except (OSError, EOFError, json.JSONDecodeError, UnicodeDecodeError) as err:
        msg = (
            f"{path}: cannot be read as (gzipped) CityJSON ({err}). Download it again."
        )
        raise DataSourceError(msg) from err
    if not isinstance(doc, dict) or doc.get("type") != "CityJSON":
        msg = f'{path}: is not a CityJSON file (no "type": "CityJSON").'
        raise DataSourceError(msg)
    return doc


def _cityjson_crs(doc: dict[str, Any]) -> CRS | None:
    ref = str(doc.get("metadata", {}).get("referenceSystem", ""))
    match = re.search(r"EPSG(?:/0/|::|:)(\d+)", ref)
    if match is None:
        return None  # validate_layer raises CRSError with a how-to-fix
    code = int(match.group(1))
    if code in _RD_CODES:
        return RD_NEW
    crs = CRS.from_epsg(code)
    return crs.sub_crs_list[0] if crs.is_compound else crs


def _lod0_surfaces(obj: dict[str, Any]) -> list[list[list[int]]]:
    """The LoD0 surfaces (rings of vertex indices) of one city object."""
    for geom in obj.get("geometry", []):
        if str(geom.get("lod")) == "0" and geom.get("type") in (
            "MultiSurface",
            "CompositeSurface",
        ):
            return list(geom["boundaries"])
    return []


def _footprints(
    surfaces: list[list[list[list[int]]]], vertices: np.ndarray
) -> np.ndarray:
    """(Multi)polygons per building from CityJSON surfaces, built in bulk."""
    result = np.full(len(surfaces), None, dtype=object)
    polys = [poly for building in surfaces for poly in building]
    if not polys:
        return result
    rings = [ring for poly in polys for ring in poly]
    ring_len = np.fromiter(map(len, rings), dtype=np.intp, count=len(rings))
    index = np.fromiter(
        chain.from_iterable(rings), dtype=np.intp, count=int(ring_len.sum())
    )
    ring_geoms = shapely.linearrings(
        vertices[index, :2], indices=np.repeat(np.arange(len(rings)), ring_len)
    )
    poly_rings = np.fromiter(map(len, polys), dtype=np.intp, count=len(polys))
    poly_geoms = shapely.polygons(
        ring_geoms, indices=np.repeat(np.arange(len(polys)), poly_rings)
    )
    n_polys = np.fromiter(map(len, surfaces), dtype=np.intp, count=len(surfaces))
    has = n_polys > 0
    multi = shapely.multipolygons(
        poly_geoms, indices=np.repeat(np.arange(int(has.sum())), n_polys[has])
    )
    # a single-surface footprint stays a Polygon, as in the GeoPackage
    single = shapely.get_num_geometries(multi) == 1
    multi[single] = shapely.get_geometry(multi[single], 0)
    result[has] = multi
    return result


def read_3dbag_cityjson(
    path: str | Path, *, on_invalid: OnInvalid = "fix"
) -> gpd.GeoDataFrame:
    """Read a 3DBAG CityJSON tile (optionally gzipped) as buildings.

    Each ``Building`` city object becomes one building; its footprint is the
    LoD0 ``MultiSurface`` (interior rings become holes), with the integer
    vertices turned into coordinates through the file's ``transform``
    (``scale`` and ``translate``) and the height dropped. ``BuildingPart``
    objects (the 3D models) are not used. The attributes are those of the
    GeoPackage, so the result equals :func:`read_3dbag_gpkg` on the same
    tile. EPSG:7415 (RD New + NAP) is read as EPSG:28992.

    Parameters
    ----------
    path : str or Path
        ``.city.json`` or ``.city.json.gz`` tile (CityJSON 1.1 or 2.0).
    on_invalid : {"raise", "fix", "drop"}, default "fix"
        Policy for invalid footprints.

    Returns
    -------
    geopandas.GeoDataFrame
        Canonical buildings (2D polygons, EPSG:28992), ``source`` ``"3dbag"``.

    Raises
    ------
    DataSourceError
        When the file is missing, damaged or not CityJSON.
    SchemaError
        When the Building objects lack a required attribute.
    CRSError
        When the file names no reference system.

    Examples
    --------
    >>> from kansenkaart.datasets import data_path
    >>> tile = data_path("3dbag_v20250903_tile_8-296-632.city.json.gz")
    >>> b = read_3dbag_cityjson(tile)
    >>> len(b)
    1146
    """
    path = Path(path)
    doc = _load_cityjson(path)
    buildings = {
        key: obj
        for key, obj in doc.get("CityObjects", {}).items()
        if obj.get("type") == "Building"
    }
    attrs = pd.DataFrame.from_records(
        [obj.get("attributes", {}) for obj in buildings.values()],
        index=pd.Index(list(buildings), dtype="string"),
    )
    source = layer_source(path, "Building")
    if "identificatie" not in attrs.columns and len(attrs):
        attrs["identificatie"] = attrs.index
    require_columns(attrs.columns, _REQUIRED, source=source)
    transform = doc.get("transform", {})
    scale = np.asarray(transform.get("scale", [1.0, 1.0, 1.0]), dtype=float)
    translate = np.asarray(transform.get("translate", [0.0, 0.0, 0.0]), dtype=float)
    vertices = np.asarray(doc.get("vertices", []), dtype=float).reshape(-1, 3)
    vertices = vertices * scale + translate
    geoms = _footprints([_lod0_surfaces(obj) for obj in buildings.values()], vertices)
    frame = _attributes_to_frame(attrs, source_name="3dbag")
    gdf = gpd.GeoDataFrame(frame, geometry=geoms, crs=_cityjson_crs(doc))
    return validate_layer(gdf, BUILDINGS, source=source, on_invalid=on_invalid)

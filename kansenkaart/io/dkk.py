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

The GML surface parser is shared with :mod:`kansenkaart.io.imro` and lives in
:mod:`kansenkaart.io._gml`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from lxml import etree

from kansenkaart.errors import DataSourceError, SchemaError
from kansenkaart.io._gml import (
    PolygonRings,
    build_polygons,
    epsg_of,
    release,
    surface_rings,
)
from kansenkaart.io._vector import list_layers, read_vector
from kansenkaart.model.schema import PARCELS
from kansenkaart.model.validate import OnInvalid, validate_layer

__all__ = ["read_dkk_gml", "read_dkk_gpkg"]

logger = logging.getLogger(__name__)


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
            shapes.append(surface_rings(geom))
            release(perceel)
    except etree.XMLSyntaxError as err:
        msg = (
            f"{path}: not well-formed XML ({err}). The file may be truncated: "
            "download it again."
        )
        raise DataSourceError(msg) from err
    return records, shapes, epsg_of(srs)


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
        :func:`kansenkaart.model.validate.validate_layer`.

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
    >>> from kansenkaart.datasets import data_path
    >>> parcels = read_dkk_gml(data_path("otterlo_dkk5_kadastralekaart_perceel.gml"))
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
        build_polygons(shapes),
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
#: The kadastrale aanduiding: ``parcel_id`` is derived from it, so a GeoPackage
#: that GDAL converted from DKK GML (without the object id) is read too.
_REQUIRED = ("akr", "section", "parcel_number")
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
        When the AKR code, sectie or perceelnummer columns are missing (the
        object id ``identificatie`` may be missing: ``cadastral_object_id`` is
        then null and ``parcel_id`` still follows from the aanduiding).

    Examples
    --------
    >>> from kansenkaart.datasets import data_path
    >>> parcels = read_dkk_gpkg(data_path("amsterdam_BU03638600_brk_percelen.gpkg"))
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

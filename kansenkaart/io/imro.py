"""Readers for one IMRO bestemmingsplan (IMRO2008 or IMRO2012), GML or GeoPackage.

Every plan object of the types in :data:`IMRO_TYPES` becomes one row of the
canonical ``zoning`` layer; the plan area itself is included with
``object_type == "Bestemmingsplangebied"``. Line and point objects
(``Figuur``) and the ``MetadataIMRObestand`` record are left out (logged).

The two IMRO versions differ in how objects are identified:

* IMRO2008: ``<identificatie>NL.IMRO.0537.bpVLKdorp-va02</identificatie>``
  (GeoPackage column ``identificatie``);
* IMRO2012: ``<identificatie><NEN3610ID><namespace>NL.IMRO</namespace>
  <lokaalID>0537.bpVLKplv</lokaalID><versie>VA01</versie>`` (columns
  ``namespace``, ``lokaalID``, ``versie``), turned into
  ``NL.IMRO.0537.bpVLKplv-VA01``.

The GML reader parses the file itself (streaming ``lxml.etree.iterparse``)
rather than through GDAL: GDAL returns IMRO arcs as ``CurvePolygon``, which
shapely cannot hold, and writes ``.gfs`` files next to the input. Arcs
(``gml:Arc``, ``ArcString``, ``Circle``) are linearised with at most 4° per
step and 1 cm deviation. Multi-valued fields (several ``waarde`` of one
Maatvoering, list columns in a GeoPackage) are joined with ``"; "``.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections import Counter
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from lxml import etree

from kansenkaart.errors import DataSourceError, SchemaError
from kansenkaart.io._gml import (
    PolygonRings,
    build_polygons,
    epsg_of,
    local_name,
    surface_rings,
)
from kansenkaart.io._vector import list_layers, read_vector
from kansenkaart.model.overlays import with_overlay_columns
from kansenkaart.model.schema import ZONING
from kansenkaart.model.validate import OnInvalid, validate_layer

__all__ = ["IMRO_TYPES", "read_imro_gml", "read_imro_gpkg"]

logger = logging.getLogger(__name__)

#: IMRO plan object types read, as IMRO spells them.
IMRO_TYPES: tuple[str, ...] = (
    "Bestemmingsplangebied",
    "Enkelbestemming",
    "Dubbelbestemming",
    "Gebiedsaanduiding",
    "Functieaanduiding",
    "Bouwvlak",
    "Bouwaanduiding",
    "Maatvoering",
)
_PLAN = "Bestemmingsplangebied"
_MAIN_GROUP = {
    "Enkelbestemming": "bestemmingshoofdgroep",
    "Dubbelbestemming": "bestemmingshoofdgroep",
    "Gebiedsaanduiding": "gebiedsaanduidinggroep",
}
_SEP = "; "


def _imro_version(namespace: str) -> str | None:
    for year in ("2008", "2012", "2006"):
        if f"/imro/{year}" in namespace:
            return f"IMRO{year}"
    return None


# ---------------------------------------------------------------------------
# GML
# ---------------------------------------------------------------------------


def _texts(el: etree._Element, path: str) -> list[str]:
    return [t.text.strip() for t in el.iterfind(path) if t.text and t.text.strip()]


def _joined(el: etree._Element, path: str) -> str | None:
    return _SEP.join(_texts(el, path)) or None


def _object_id(feature: etree._Element) -> str | None:
    ident = feature.find("{*}identificatie")
    if ident is None:
        return feature.get("{http://www.opengis.net/gml/3.2}id") or feature.get(
            "{http://www.opengis.net/gml}id"
        )
    nen = ident.find("{*}NEN3610ID")
    if nen is None:  # IMRO2008
        return (ident.text or "").strip() or None
    namespace = _joined(nen, "{*}namespace")
    local = _joined(nen, "{*}lokaalID")
    versie = _joined(nen, "{*}versie")
    base = ".".join(p for p in (namespace, local) if p)
    return f"{base}-{versie}" if versie else base or None


def _gml_record(feature: etree._Element, kind: str) -> dict[str, Any]:
    record: dict[str, Any] = {
        "object_id": _object_id(feature),
        "object_type": kind,
        "name": _joined(feature, "{*}naam"),
        "main_group": None,
        "value": None,
        "value_type": None,
    }
    if kind in _MAIN_GROUP:
        record["main_group"] = _joined(feature, "{*}" + _MAIN_GROUP[kind])
    elif kind == "Maatvoering":
        record["value"] = _joined(
            feature, "{*}maatvoeringInfo/{*}WaardeEnType/{*}waarde"
        )
        record["value_type"] = _joined(
            feature, "{*}maatvoeringInfo/{*}WaardeEnType/{*}waardeType"
        )
    if kind == _PLAN:
        record["planstatus"] = next(
            iter(_texts(feature, "{*}planstatusInfo//{*}planstatus")), None
        )
        record["datum"] = next(
            iter(_texts(feature, "{*}planstatusInfo//{*}datum")), None
        )
    return record


def _parse_imro_gml(
    path: Path,
) -> tuple[
    list[dict[str, Any]], list[list[PolygonRings]], str, str | None, Counter[str]
]:
    records: list[dict[str, Any]] = []
    shapes: list[list[PolygonRings]] = []
    skipped: Counter[str] = Counter()
    srs: str | None = None
    version: str | None = None
    try:
        for _, member in etree.iterparse(
            str(path), events=("end",), tag="{*}featureMember"
        ):
            for feature in member:
                kind = local_name(feature.tag)
                if not kind:
                    continue
                version = version or _imro_version(etree.QName(feature).namespace or "")
                if kind not in IMRO_TYPES:
                    skipped[kind] += 1
                    continue
                records.append(_gml_record(feature, kind))
                prop = feature.find("{*}geometrie")
                geom = prop[0] if prop is not None and len(prop) else None
                srs = srs or (geom.get("srsName") if geom is not None else None)
                shapes.append(surface_rings(geom))
            member.clear()
            root = member.getparent()
            while root is not None and member.getprevious() is not None:
                del root[0]
    except etree.XMLSyntaxError as err:
        msg = (
            f"{path}: not well-formed XML ({err}). The file may be truncated: "
            "download it again."
        )
        raise DataSourceError(msg) from err
    return records, shapes, epsg_of(srs), version, skipped


def read_imro_gml(
    path: str | Path, *, on_invalid: OnInvalid = "fix"
) -> gpd.GeoDataFrame:
    """Read one IMRO2008/IMRO2012 bestemmingsplan GML file.

    Parameters
    ----------
    path : str or Path
        IMRO GML of one plan, as downloaded from ruimtelijkeplannen.nl.
    on_invalid : {"raise", "fix", "drop"}, default "fix"
        What to do with invalid polygons.

    Returns
    -------
    geopandas.GeoDataFrame
        Canonical ``zoning`` layer in EPSG:28992: ``object_id``,
        ``object_type`` (see :data:`IMRO_TYPES`), ``name``, ``main_group``,
        ``value``, ``value_type``, ``overlay_class``, ``overlay_kind``, the
        Maatvoering values (``max_height_m``, ...; see
        :mod:`kansenkaart.model.overlays`), ``plan_id``, ``plan_name``,
        ``plan_status``, ``plan_date``
        (ISO date), ``imro_version`` and ``source`` (``"imro-gml"``). Linear
        polygons only: arcs are linearised.

    Raises
    ------
    DataSourceError
        When the file is missing or not well-formed XML.
    SchemaError
        When the file holds no ``Bestemmingsplangebied`` (plan area).

    Examples
    --------
    >>> from kansenkaart.datasets import data_path
    >>> gml = data_path("hilvarenbeek_NL.IMRO.0798.BPDoornboom-ON01.gml")
    >>> plan = read_imro_gml(gml)
    >>> plan["plan_status"].iloc[0]
    'ontwerp'
    """
    path = Path(path)
    if not path.exists():
        msg = f"{path}: file not found. Check the path."
        raise DataSourceError(msg)
    records, shapes, crs, version, skipped = _parse_imro_gml(path)
    if skipped:
        logger.info("%s: left out %s", path, dict(skipped))
    df = pd.DataFrame.from_records(
        records,
        columns=[
            "object_id",
            "object_type",
            "name",
            "main_group",
            "value",
            "value_type",
            "planstatus",
            "datum",
        ],
    )
    gdf = gpd.GeoDataFrame(df, geometry=build_polygons(shapes), crs=crs)
    return _finish(
        gdf, path=path, version=version, source="imro-gml", on_invalid=on_invalid
    )


def _plan_attributes(gdf: gpd.GeoDataFrame, *, path: Path) -> dict[str, Any]:
    plan = gdf.loc[gdf["object_type"] == _PLAN]
    if plan.empty:
        msg = (
            f"{path}: no Bestemmingsplangebied (plan area) found, so the plan id, "
            "status and date are unknown. Pass the complete IMRO plan file."
        )
        raise SchemaError(msg)
    if len(plan) > 1:
        logger.warning(
            "%s: %d Bestemmingsplangebied objects; the first is used", path, len(plan)
        )
    first = plan.iloc[0]
    return {
        "plan_id": first["object_id"],
        "plan_name": first["name"],
        "plan_status": first["planstatus"],
        "plan_date": _iso_date(first["datum"]),
    }


def _iso_date(value: Any) -> str | None:
    if (
        value is None
        or (isinstance(value, float) and math.isnan(value))
        or value is pd.NaT
    ):
        return None
    stamp = pd.Timestamp(value)
    return None if pd.isna(stamp) else stamp.date().isoformat()


def _finish(
    gdf: gpd.GeoDataFrame,
    *,
    path: Path,
    version: str | None,
    source: str,
    on_invalid: OnInvalid,
) -> gpd.GeoDataFrame:
    plan = _plan_attributes(gdf, path=path)
    for key, value in plan.items():
        gdf[key] = value
    gdf["imro_version"] = version
    gdf["source"] = source
    gdf = with_overlay_columns(gdf)
    for item in gdf.attrs.pop("overlay_conflicts"):
        logger.info("%s: classified by name, not by hoofdgroep: %s", path, item)
    label = f"{path} (IMRO plan {plan['plan_id']})"
    out = validate_layer(gdf, ZONING, source=label, on_invalid=on_invalid)
    counts = out["object_type"].value_counts().to_dict()
    logger.info("%s: %d plan objects %s (%s)", label, len(out), counts, version)
    return out


# ---------------------------------------------------------------------------
# GeoPackage
# ---------------------------------------------------------------------------


_QUOTED = re.compile(r"'((?:[^'\\]|\\.)*)'|\"((?:[^\"\\]|\\.)*)\"")


def _list_text(text: str) -> list[str] | None:
    """Items of a list written as text: JSON, or the numpy/Python repr some
    converters store (``['6' '9']``, ``[6 9]``); ``None`` when not a list."""
    if not (text.startswith("[") and text.endswith("]")):
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        quoted = _QUOTED.findall(text)
        if quoted:
            return [a or b for a, b in quoted]
        return [t.rstrip(".") if t[:1].isdigit() else t for t in text[1:-1].split()]
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _join_value(value: Any) -> str | None:
    """One cell of a possibly multi-valued column, as text joined with '; '."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, str):
        text = value.strip()
        items = _list_text(text)
        if items is None:
            return text or None
        value = items
    if isinstance(value, (list, tuple, np.ndarray)):
        items = [str(v).strip() for v in value if v is not None and str(v).strip()]
        return _SEP.join(items) or None
    return str(value)


def _column(df: pd.DataFrame, name: str) -> pd.Series:
    lower = {c.lower(): c for c in df.columns}
    if name.lower() not in lower:
        return pd.Series(None, index=df.index, dtype="object")
    return df[lower[name.lower()]].map(_join_value)


def _gpkg_ids(df: pd.DataFrame) -> tuple[pd.Series, str | None]:
    cols = {c.lower() for c in df.columns}
    if "lokaalid" in cols:
        namespace = _column(df, "namespace").fillna("")
        ids = (namespace + "." + _column(df, "lokaalID").fillna("")).str.lstrip(".")
        versie = _column(df, "versie")
        ids = ids.where(versie.isna(), ids + "-" + versie.fillna(""))
        return ids, "IMRO2012"
    if "identificatie" in cols:
        return _column(df, "identificatie"), "IMRO2008"
    return _column(df, "gml_id"), None


def _gpkg_layer(
    path: Path, layer: str, kind: str
) -> tuple[gpd.GeoDataFrame, str | None]:
    try:
        raw = read_vector(path, layer)
    except NotImplementedError as err:  # shapely cannot hold CurvePolygon
        msg = (
            f"{path} (layer {layer}): holds curve geometries. Convert them with "
            f"`ogr2ogr -nlt CONVERT_TO_LINEAR out.gpkg {path.name}` and read that."
        )
        raise DataSourceError(msg) from err
    ids, version = _gpkg_ids(raw)
    df = pd.DataFrame(
        {"object_id": ids, "object_type": kind, "name": _column(raw, "naam")}
    )
    df["main_group"] = _column(raw, _MAIN_GROUP[kind]) if kind in _MAIN_GROUP else None
    maat = kind == "Maatvoering"
    df["value"] = _column(raw, "waarde") if maat else None
    df["value_type"] = _column(raw, "waardeType") if maat else None
    if kind == _PLAN:
        df["planstatus"] = _column(raw, "planstatus").str.split(_SEP).str[0]
        lower = {c.lower(): c for c in raw.columns}
        df["datum"] = raw[lower["datum"]].map(_iso_date) if "datum" in lower else None
    return gpd.GeoDataFrame(df, geometry=raw.geometry.values, crs=raw.crs), version


def read_imro_gpkg(
    path: str | Path, *, on_invalid: OnInvalid = "fix"
) -> gpd.GeoDataFrame:
    """Read one IMRO plan converted to a GeoPackage (one layer per object type).

    Parameters
    ----------
    path : str or Path
        GeoPackage with layers named after the IMRO types
        (``Bestemmingsplangebied``, ``Enkelbestemming``, ...), as written by
        ``ogr2ogr`` from the plan's GML. Missing layers (e.g. no
        ``Enkelbestemming`` in an umbrella plan) are fine.
    on_invalid : {"raise", "fix", "drop"}, default "fix"
        What to do with invalid polygons.

    Returns
    -------
    geopandas.GeoDataFrame
        Canonical ``zoning`` layer (see :func:`read_imro_gml`), ``source`` is
        ``"imro-gpkg"``.

    Raises
    ------
    DataSourceError
        When the file cannot be read or a layer holds curve geometries.
    SchemaError
        When there is no ``Bestemmingsplangebied`` layer.

    Examples
    --------
    >>> from kansenkaart.datasets import data_path
    >>> plan = read_imro_gpkg(
    ...     data_path("katwijk_NL.IMRO.0537.bpVLKdorp-va02_valkenburg_dorp.gpkg")
    ... )
    >>> plan["imro_version"].iloc[0]
    'IMRO2008'
    """
    path = Path(path)
    layers = {name.lower(): name for name in list_layers(path)}
    if _PLAN.lower() not in layers:
        msg = (
            f"{path}: no layer Bestemmingsplangebied (layers: "
            f"{', '.join(layers.values()) or '(none)'}). This does not look like an "
            "IMRO plan GeoPackage."
        )
        raise SchemaError(msg)
    skipped = sorted(set(layers.values()) - {layers.get(t.lower()) for t in IMRO_TYPES})
    if skipped:
        logger.info("%s: left out layers %s", path, skipped)
    frames, versions = [], []
    for kind in IMRO_TYPES:
        if kind.lower() in layers:
            frame, version = _gpkg_layer(path, layers[kind.lower()], kind)
            frames.append(frame)
            versions.append(version)
    crs = frames[0].crs
    gdf = gpd.GeoDataFrame(
        pd.concat(frames, ignore_index=True), geometry="geometry", crs=crs
    )
    version = next((v for v in versions if v), None)
    return _finish(
        gdf, path=path, version=version, source="imro-gpkg", on_invalid=on_invalid
    )

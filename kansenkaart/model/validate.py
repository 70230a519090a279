"""Validation at the reading boundary.

Readers hand every layer to :func:`validate_layer` once. It collects all
problems before raising, so an analyst sees everything that is wrong with a
file in one go, and it records what it changed (reprojection, repaired or
dropped geometries, duplicate ids) as :class:`Finding` objects that
``kansenkaart layers inspect`` prints. Code after this boundary may assume
valid, non-empty geometries in EPSG:28992 and unique ids.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from kansenkaart.crs import ensure_rd_new
from kansenkaart.errors import (
    EmptySelectionWarning,
    GeometryError,
    GeometryRepairedWarning,
    KansenkaartWarning,
    SchemaError,
)
from kansenkaart.model.schema import Bound, LayerSchema

__all__ = [
    "Finding",
    "OnInvalid",
    "check_bounds",
    "check_geometry_types",
    "require_columns",
    "to_canonical",
    "validate_layer",
]

logger = logging.getLogger(__name__)

OnInvalid = Literal["raise", "fix", "drop"]
_N_IDS_SHOWN = 5


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing validation noticed about a layer.

    Attributes
    ----------
    level : {"error", "warning", "info"}
        ``error`` findings stop reading; the others are reported.
    code : str
        Stable short code, e.g. ``"invalid_geometry"`` or ``"reprojected"``.
    message : str
        Full sentence naming the file/layer, what was found and how to fix it.
    ids : tuple of str
        Offending feature ids (all of them, not only those in the message).
    column : str, optional
        The column concerned (for ``implausible_value``).
    """

    level: Literal["error", "warning", "info"]
    code: str
    message: str
    ids: tuple[str, ...] = field(default=())
    column: str | None = None


def _show_ids(ids: Sequence[str]) -> str:
    shown = ", ".join(str(i) for i in ids[:_N_IDS_SHOWN])
    more = f" and {len(ids) - _N_IDS_SHOWN} more" if len(ids) > _N_IDS_SHOWN else ""
    return f"{shown}{more}"


def require_columns(
    columns: Iterable[str], required: Iterable[str], *, source: str
) -> None:
    """Raise :class:`SchemaError` when any of ``required`` is not in ``columns``.

    Parameters
    ----------
    columns : iterable of str
        Columns found in the source.
    required : iterable of str
        Columns the reader needs.
    source : str
        File and layer, for the message.

    Raises
    ------
    SchemaError
        Naming every missing column and listing the columns that were found.
    """
    found = list(columns)
    missing = [c for c in required if c not in found]
    if missing:
        msg = (
            f"{source}: missing required column(s) {', '.join(map(repr, missing))}. "
            f"Columns found: {', '.join(found) or '(none)'}. "
            "Check that this is the right file and layer, or rename the columns."
        )
        raise SchemaError(msg)


def to_canonical(df: pd.DataFrame, schema: LayerSchema) -> gpd.GeoDataFrame:
    """Return ``df`` with exactly the schema's columns, in order and dtype.

    Columns the source lacks are added as nulls; extra columns are dropped.
    """
    out = {}
    for col, dtype in schema.dtypes.items():
        if col in df.columns:
            out[col] = df[col].astype(dtype)
        else:
            out[col] = pd.Series(pd.NA, index=df.index, dtype=dtype)
    return gpd.GeoDataFrame(
        out, geometry=df.geometry.values, crs=df.crs, index=df.index
    )


def _plural(n: int) -> str:
    return f"{n} invalid geometr{'y' if n == 1 else 'ies'}"


def _repair(
    gdf: gpd.GeoDataFrame,
    invalid: np.ndarray,
    ids: list[str],
    *,
    source: str,
    on_invalid: OnInvalid,
) -> tuple[gpd.GeoDataFrame, Finding]:
    if on_invalid == "drop":
        msg = (
            f"{source}: dropped {_plural(len(ids))}"
            f" ({_show_ids(ids)}). Use on_invalid='fix' to repair them instead."
        )
        return gdf.loc[~invalid], Finding(
            "warning", "invalid_geometry", msg, tuple(ids)
        )
    geoms = gdf.geometry.values.copy()
    fixed = shapely.make_valid(
        np.asarray(geoms[invalid]), method="structure", keep_collapsed=False
    )
    geoms[invalid] = fixed
    gdf = gdf.set_geometry(gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs))
    msg = (
        f"{source}: repaired {_plural(len(ids))}"
        f" with make_valid ({_show_ids(ids)}). Check them in QGIS if exact outlines "
        "matter."
    )
    return gdf, Finding("warning", "invalid_geometry", msg, tuple(ids))


def _check_geometries(
    gdf: gpd.GeoDataFrame, id_col: str | None, *, source: str, on_invalid: OnInvalid
) -> tuple[gpd.GeoDataFrame, list[Finding]]:
    findings: list[Finding] = []
    labels = gdf[id_col].astype(str) if id_col else pd.Series(gdf.index.astype(str))
    geoms = np.asarray(gdf.geometry.values)
    empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if empty.any():
        ids = labels[empty].tolist()
        msg = (
            f"{source}: {len(ids)} feature(s) without geometry were left out "
            f"({_show_ids(ids)}). Give them a geometry in the source to include them."
        )
        findings.append(Finding("warning", "empty_geometry", msg, tuple(ids)))
        gdf, labels, geoms = gdf.loc[~empty], labels[~empty], geoms[~empty]
    invalid = ~shapely.is_valid(geoms)
    if invalid.any():
        ids = labels[invalid].tolist()
        if on_invalid == "raise":
            reasons = shapely.is_valid_reason(geoms[invalid])
            msg = (
                f"{source}: {len(ids)} invalid geometr{'y' if len(ids) == 1 else 'ies'}"
                f" ({_show_ids(ids)}; first problem: {reasons[0]}). Repair them in "
                "QGIS (Vector > Geometry Tools > Fix Geometries) or read with "
                "on_invalid='fix'."
            )
            findings.append(Finding("error", "invalid_geometry", msg, tuple(ids)))
        else:
            gdf, finding = _repair(
                gdf, invalid, ids, source=source, on_invalid=on_invalid
            )
            findings.append(finding)
    return gdf, findings


_KIND_FIX = {
    "buildings": "Pass the building outlines (BAG pand polygons), not their "
    "addresses or label points.",
    "parcels": "Pass the parcel outlines: the DKK GML itself (kansenkaart reads "
    "begrenzingPerceel) or a GeoPackage with the perceel polygons, not the "
    "label points GDAL makes of a DKK GML.",
}


def check_geometry_types(
    gdf: gpd.GeoDataFrame, schema: LayerSchema, *, source: str
) -> None:
    """Refuse a layer whose geometries are not of the kind its schema needs.

    Raises
    ------
    GeometryError
        Naming the types found, how many, and the fix.
    """
    if not schema.geometry_types or not len(gdf):
        return
    geoms = np.asarray(gdf.geometry.values)
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    types = pd.Series(shapely.get_type_id(geoms[present]))
    names = types.map(dict(enumerate(_TYPE_NAMES)))
    wrong = names[~names.isin([*schema.geometry_types, "GeometryCollection"])]
    if len(wrong):
        found = ", ".join(f"{n} {t}" for t, n in wrong.value_counts().items())
        msg = (
            f"{source}: a {schema.name} layer needs polygons, but {len(wrong)} of "
            f"{len(names)} features are not ({found}). "
            f"{_KIND_FIX.get(schema.name, 'Pass a layer of polygons.')}"
        )
        raise GeometryError(msg)


_TYPE_NAMES = (
    "Point",
    "LineString",
    "LinearRing",
    "Polygon",
    "MultiPoint",
    "MultiLineString",
    "MultiPolygon",
    "GeometryCollection",
)


def _out_of_bounds(values: pd.Series, bound: Bound) -> np.ndarray:
    numbers = pd.to_numeric(values, errors="coerce").astype("Float64")
    finite = numbers.notna() & np.isfinite(numbers.fillna(0).to_numpy(float))
    inside = numbers.between(bound.low, bound.high).fillna(False)
    bad = (values.notna() & ~inside) | (numbers.notna() & ~finite)
    return np.asarray(bad, dtype=bool)


def check_bounds(
    gdf: gpd.GeoDataFrame, schema: LayerSchema, *, source: str
) -> tuple[gpd.GeoDataFrame, list[Finding]]:
    """Set values outside their plausible range to missing, one finding per column.

    Returns
    -------
    tuple of (GeoDataFrame, list of Finding)
        The layer with implausible values nulled, and what was nulled
        (``code="implausible_value"``; the column is in the message).
    """
    findings: list[Finding] = []
    for col, bound in schema.bounds.items():
        if col not in gdf.columns:
            continue
        bad = _out_of_bounds(gdf[col], bound)
        if not bad.any():
            continue
        ids = gdf.loc[bad, schema.id_column].astype(str).tolist()
        examples = gdf.loc[bad, col].head(_N_IDS_SHOWN).tolist()
        if not findings:
            gdf = gdf.copy()
        gdf.loc[bad, col] = pd.NA
        msg = (
            f"{source}: {len(ids)} value(s) of {col} outside the plausible range "
            f"{bound.low:g}..{bound.high:g} ({bound.reason}) were set to missing "
            f"(ids {_show_ids(ids)}; values {', '.join(map(str, examples))}). "
            "Correct them in the source; until then they count as unknown."
        )
        findings.append(
            Finding("warning", "implausible_value", msg, tuple(ids), column=col)
        )
    return gdf, findings


def _check_ids(
    gdf: gpd.GeoDataFrame, id_col: str, *, source: str
) -> tuple[gpd.GeoDataFrame, list[Finding]]:
    dup = gdf[id_col].duplicated(keep="first")
    if not dup.any():
        return gdf, []
    ids = sorted(gdf.loc[dup, id_col].astype(str).unique())
    msg = (
        f"{source}: {len(ids)} duplicate id(s) in column {id_col!r} ({_show_ids(ids)});"
        " only the first feature of each was kept. Remove the duplicates or check "
        "whether historic versions (voorkomens) were exported too."
    )
    return gdf.loc[~dup], [Finding("warning", "duplicate_id", msg, tuple(ids))]


def validate_layer(
    gdf: gpd.GeoDataFrame,
    schema: LayerSchema | None = None,
    *,
    source: str,
    id_column: str | None = None,
    on_invalid: OnInvalid = "fix",
) -> gpd.GeoDataFrame:
    """Validate and normalise one layer at the reading boundary.

    Checks, in order and collecting all problems: CRS present (reprojects to
    EPSG:28992 otherwise, logged), layer not empty (reported), geometry types
    of the schema (polygons for buildings and parcels), empty geometries (left
    out, reported), invalid geometries (per ``on_invalid``), duplicate ids
    (first kept, reported) and, with a schema, values outside the plausible
    range of their column (:attr:`LayerSchema.bounds`; set to missing,
    reported). The number of features read is kept in ``attrs["n_read"]``.
    The findings are stored as a list of :class:`Finding` in
    ``result.attrs["findings"]`` and warnings are emitted for every change
    made to the data.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Layer as read, in any CRS.
    schema : LayerSchema, optional
        Canonical schema; when given, the result is cast to it.
    source : str
        File and layer name, used in every message.
    id_column : str, optional
        Identifier column; defaults to the schema's id column.
    on_invalid : {"raise", "fix", "drop"}, default "fix"
        What to do with invalid geometries: raise :class:`GeometryError`,
        repair them with ``shapely.make_valid`` (warns with a count), or drop
        them (warns with a count).

    Returns
    -------
    geopandas.GeoDataFrame
        The validated layer in EPSG:28992.

    Raises
    ------
    CRSError
        When the layer has no CRS.
    GeometryError
        When geometries are invalid and ``on_invalid="raise"``.
    """
    if on_invalid not in ("raise", "fix", "drop"):
        msg = f"on_invalid must be 'raise', 'fix' or 'drop', not {on_invalid!r}"
        raise ValueError(msg)
    findings: list[Finding] = list(gdf.attrs.get("findings", []))
    n_known = len(findings)
    n_read = len(gdf)
    id_col = id_column or (schema.id_column if schema else None)
    crs_before = gdf.crs
    gdf = ensure_rd_new(gdf, source=source)
    if crs_before is not None and gdf.crs is not crs_before and crs_before != gdf.crs:
        findings.append(
            Finding(
                "info",
                "reprojected",
                f"{source}: reprojected from {crs_before.to_string()} to EPSG:28992.",
            )
        )
    if len(gdf) == 0:
        findings.append(
            Finding("warning", "empty_layer", f"{source}: the layer holds no features.")
        )
    if schema is not None:
        check_geometry_types(gdf, schema, source=source)
    gdf, geom_findings = _check_geometries(
        gdf, id_col, source=source, on_invalid=on_invalid
    )
    findings += geom_findings
    if id_col is not None:
        gdf, id_findings = _check_ids(gdf, id_col, source=source)
        findings += id_findings
    errors = [f for f in findings if f.level == "error"]
    if errors:
        raise GeometryError("\n".join(f.message for f in errors))
    if schema is not None:
        gdf = to_canonical(gdf, schema)
        gdf, bound_findings = check_bounds(gdf, schema, source=source)
        findings += bound_findings
    _emit(findings[n_known:])
    gdf.attrs["findings"] = findings
    gdf.attrs.setdefault("n_read", n_read)
    logger.info("%s: %d features in EPSG:28992", source, len(gdf))
    return gdf


_WARNING_CLASS = {
    "invalid_geometry": GeometryRepairedWarning,
    "empty_layer": EmptySelectionWarning,
}


def _emit(findings: Iterable[Finding]) -> None:
    for f in findings:
        if f.level == "warning":
            warnings.warn(
                f.message, _WARNING_CLASS.get(f.code, KansenkaartWarning), stacklevel=4
            )
        else:
            logger.info(f.message)
